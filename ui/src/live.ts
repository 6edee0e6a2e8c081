/**
 * The hub's live event feed (`/api/ws`). One socket for the whole app, reconnecting with a short
 * back-off; screens subscribe by event name and refresh what they show.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { EventMap, EventName } from '../../hub/api/events.js';

type AnyListener = (name: EventName, event: EventMap[EventName]) => void;

export type LiveStatus = 'connecting' | 'open' | 'closed';

class LiveFeed {
  private socket: WebSocket | null = null;
  private listeners = new Set<AnyListener>();
  private statusListeners = new Set<(s: LiveStatus) => void>();
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private wanted = false;
  private onAuthLost: (() => void) | null = null;
  status: LiveStatus = 'closed';

  start(onAuthLost: () => void): void {
    this.onAuthLost = onAuthLost;
    this.wanted = true;
    if (!this.socket) this.connect();
  }

  stop(): void {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    s?.close(1000, 'signed out');
    this.setStatus('closed');
  }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  private connect(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${proto}//${location.host}/api/ws`);
    this.socket = socket;
    this.setStatus('connecting');
    socket.onopen = () => {
      this.retryMs = 500;
      this.setStatus('open');
    };
    socket.onmessage = (msg) => {
      let parsed: { type?: string; name?: EventName; event?: EventMap[EventName] };
      try {
        parsed = JSON.parse(String(msg.data)) as typeof parsed;
      } catch (err) {
        console.warn('live feed: a message was not JSON', err);
        return;
      }
      if (parsed.type !== 'event' || !parsed.name || !parsed.event) return;
      for (const l of this.listeners) l(parsed.name, parsed.event);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setStatus('closed');
      if (ev.code === 4401) {
        this.wanted = false;
        this.onAuthLost?.();
        return;
      }
      if (!this.wanted) return;
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  subscribe(fn: AnyListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }
}

export const liveFeed = new LiveFeed();

/**
 * Call `handler` for every live event whose name matches one of `prefixes` (`sensor.` matches
 * all sensor events; `panic` matches exactly).
 */
export function useLiveEvents(prefixes: string[], handler: (name: EventName, event: EventMap[EventName]) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  const key = prefixes.join(',');
  useEffect(() => {
    const list = key.split(',');
    return liveFeed.subscribe((name, event) => {
      if (list.some((p) => (p.endsWith('.') ? name.startsWith(p) : name === p))) ref.current(name, event);
    });
  }, [key]);
}
