/**
 * The in-process event bus. Listeners are isolated: one that throws (or rejects) is logged with
 * its owner and never stops the others or the emitter.
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../api/errors.js';
import type { Disposer, EventBus, EventInput, EventMap, EventName, Listener } from '../api/events.js';
import type { Clock, Logger } from '../api/plugin.js';

type AnyListener = (name: EventName, event: EventMap[EventName]) => void | Promise<void>;

interface Entry {
  owner: string;
  fn: (event: unknown) => void | Promise<void>;
}

export class HubEventBus implements EventBus {
  private readonly listeners = new Map<EventName, Set<Entry>>();
  private readonly anyListeners = new Set<{ owner: string; fn: AnyListener }>();
  /** Listeners still working on an event (they returned a promise that has not settled). */
  private readonly working = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock = { now: () => Date.now() },
  ) {}

  emit<K extends EventName>(name: K, payload: EventInput<K>): EventMap[K] {
    const event = {
      ...payload,
      ts: payload.ts ?? this.clock.now(),
      correlationId: payload.correlationId ?? randomUUID(),
    } as EventMap[K];
    for (const entry of this.listeners.get(name) ?? []) {
      this.call(entry.owner, name, () => entry.fn(event));
    }
    for (const entry of this.anyListeners) {
      this.call(entry.owner, name, () => entry.fn(name, event));
    }
    return event;
  }

  on<K extends EventName>(name: K, owner: string, listener: Listener<K>): Disposer {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    const entry: Entry = { owner, fn: listener as (event: unknown) => void };
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  onAny(owner: string, listener: AnyListener): Disposer {
    const entry = { owner, fn: listener };
    this.anyListeners.add(entry);
    return () => {
      this.anyListeners.delete(entry);
    };
  }

  /** Wait for the next event of a kind that matches (used by tests and the CLI). */
  next<K extends EventName>(name: K, predicate: (e: EventMap[K]) => boolean = () => true, timeoutMs = 10_000): Promise<EventMap[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name}`));
      }, timeoutMs);
      const off = this.on(name, 'bus.next', (e) => {
        if (!predicate(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }

  /**
   * Resolves once every listener working on an event (and whatever those emitted meanwhile) has
   * finished, or after `limitMs`: what an MQTT message caused is done before it is acknowledged,
   * and a listener waiting on the network cannot hold the sensors up. True: all settled.
   */
  async settled(limitMs = 2000): Promise<boolean> {
    // The common case (every sensor message): nothing is working, so no timer at all.
    if (this.working.size === 0) return true;
    let timer: NodeJS.Timeout | null = null;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), limitMs);
    });
    try {
      while (this.working.size > 0) {
        const done = await Promise.race([Promise.all([...this.working]).then(() => true as const), late]);
        if (!done) return false;
      }
      return true;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private call(owner: string, name: EventName, fn: () => void | Promise<void>): void {
    try {
      const r = fn();
      if (r && typeof (r as Promise<void>).then === 'function') {
        const p: Promise<void> = (r as Promise<void>).then(
          () => {
            this.working.delete(p);
          },
          (err: unknown) => {
            this.working.delete(p);
            this.report(owner, name, err);
          },
        );
        this.working.add(p);
      }
    } catch (err) {
      this.report(owner, name, err);
    }
  }

  private report(owner: string, name: EventName, err: unknown): void {
    this.log.error({ owner, event: name, err: describeError(err) }, 'event listener failed');
  }
}
