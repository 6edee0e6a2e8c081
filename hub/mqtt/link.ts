/**
 * The hub's own MQTT client, shared by plugins through `MqttLink`. Reconnects by itself; handler
 * errors are isolated per owner; subscriptions are restored after a reconnect by mqtt.js.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { describeError, HubError } from '../api/errors.js';
import type { Disposer } from '../api/events.js';
import { topicMatches } from '../api/mqtt-topics.js';
import { isLoopbackHost } from '../api/net.js';
import type { HealthReporter, Logger, MqttLink } from '../api/plugin.js';
import { redactUrl } from '../log/logger.js';

interface Sub {
  filter: string;
  owner: string;
  handler: (topic: string, payload: Buffer, info: { retain: boolean }) => void;
}

export class HubMqttLink implements MqttLink {
  private client: MqttClient | null = null;
  private readonly subs = new Set<Sub>();

  constructor(
    private readonly url: string,
    private readonly auth: { username: string | null; password: string | null },
    private readonly log: Logger,
    private readonly health: HealthReporter,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get brokerLabel(): string {
    return `MQTT broker ${redactUrl(this.url)}`;
  }

  get offMachine(): boolean {
    try {
      return !isLoopbackHost(new URL(this.url).hostname);
    } catch {
      // A URL mqtt.js accepts but WHATWG does not: assume it leaves the machine (the safe answer).
      return true;
    }
  }

  async connect(timeoutMs = 10_000): Promise<void> {
    const client = mqtt.connect(this.url, {
      clientId: `sanctuary-hub-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 1000,
      connectTimeout: timeoutMs,
      ...(this.auth.username ? { username: this.auth.username } : {}),
      ...(this.auth.password ? { password: this.auth.password } : {}),
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet.retain));
    client.on('connect', () => this.health.report('ok', `connected to ${redactUrl(this.url)}`));
    client.on('offline', () => this.health.report('degraded', `broker ${redactUrl(this.url)} unreachable; reconnecting`));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'MQTT client error'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new HubError('HUB_ERR_BROKER', `cannot reach MQTT broker ${redactUrl(this.url)} within ${timeoutMs} ms`));
      }, timeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    }).catch(async (err: unknown) => {
      await client.endAsync(true);
      throw err;
    });
  }

  async publish(topic: string, payload: string | Buffer, options: { retain?: boolean; qos?: 0 | 1 | 2 } = {}): Promise<void> {
    if (!this.client) throw new HubError('HUB_ERR_BROKER', 'MQTT link not connected');
    await this.client.publishAsync(topic, payload, {
      retain: options.retain ?? false,
      qos: options.qos ?? 0,
    });
  }

  async subscribe(
    filter: string,
    owner: string,
    handler: (topic: string, payload: Buffer, info: { retain: boolean }) => void,
  ): Promise<Disposer> {
    if (!this.client) throw new HubError('HUB_ERR_BROKER', 'MQTT link not connected');
    const sub: Sub = { filter, owner, handler };
    this.subs.add(sub);
    await this.client.subscribeAsync(filter, { qos: 1 });
    return () => {
      this.subs.delete(sub);
      const stillWanted = [...this.subs].some((s) => s.filter === filter);
      if (!stillWanted && this.client?.connected) {
        this.client.unsubscribeAsync(filter).then(undefined, (err: unknown) => {
          this.log.warn({ filter, err: describeError(err) }, 'MQTT unsubscribe failed');
        });
      }
    };
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.subs.clear();
    if (c) await c.endAsync(true);
  }

  private dispatch(topic: string, payload: Buffer, retain: boolean): void {
    for (const sub of this.subs) {
      if (!topicMatches(sub.filter, topic)) continue;
      try {
        sub.handler(topic, payload, { retain });
      } catch (err) {
        this.log.error({ owner: sub.owner, topic, err: describeError(err) }, 'MQTT message handler failed');
      }
    }
  }
}
