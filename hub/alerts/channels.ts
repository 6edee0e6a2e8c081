/** The alert channels plugins register (ARC over DC-09, webhook, local MQTT). */
import type { Disposer } from '../api/events.js';
import type { AlertChannel, AlertChannels } from '../api/plugin.js';

export class AlertChannelRegistry implements AlertChannels {
  private readonly channels = new Map<string, AlertChannel>();
  private readonly watchers = new Set<() => void>();
  private readonly upWatchers = new Set<(channelId: string) => void>();

  register(channel: AlertChannel): Disposer {
    this.channels.set(channel.id, channel);
    for (const w of this.watchers) w();
    return () => {
      if (this.channels.get(channel.id) === channel) this.channels.delete(channel.id);
    };
  }

  list(): AlertChannel[] {
    return [...this.channels.values()];
  }

  get(id: string): AlertChannel | undefined {
    return this.channels.get(id);
  }

  linkUp(channelId: string): void {
    for (const w of this.upWatchers) w(channelId);
  }

  /** Called when a channel reports its link up (the outbox releases what waited out a backoff). */
  onLinkUp(fn: (channelId: string) => void): Disposer {
    this.upWatchers.add(fn);
    return () => {
      this.upWatchers.delete(fn);
    };
  }

  /** Called when a channel registers (the outbox retries what was waiting for it). */
  onRegister(fn: () => void): Disposer {
    this.watchers.add(fn);
    return () => {
      this.watchers.delete(fn);
    };
  }
}
