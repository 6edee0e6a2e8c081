/**
 * The hub side of `PowerMonitor`: the last state each power source reported, and listeners told
 * of every change. A listener that throws is logged with its owner and never stops the others.
 */
import { describeError } from '../api/errors.js';
import type { Disposer } from '../api/events.js';
import type { Logger, PowerMonitor, PowerState } from '../api/plugin.js';

type Listener = (source: string, state: PowerState, previous: PowerState | null) => void;

export class PowerRegistry implements PowerMonitor {
  private readonly states = new Map<string, PowerState>();
  private readonly listeners = new Map<Listener, string>();

  constructor(private readonly log: Logger) {}

  report(source: string, state: PowerState): void {
    const previous = this.states.get(source) ?? null;
    if (previous && previous.mains === state.mains && previous.battery === state.battery) return;
    const next = Object.freeze({ mains: state.mains, battery: state.battery, detail: state.detail });
    this.states.set(source, next);
    this.log.info({ source, mains: next.mains, battery: next.battery, detail: next.detail }, 'power state changed');
    for (const [listener, owner] of this.listeners) {
      try {
        listener(source, next, previous);
      } catch (err) {
        this.log.error({ owner, source, err: describeError(err) }, 'power listener failed');
      }
    }
  }

  state(source: string): PowerState | undefined {
    return this.states.get(source);
  }

  onChange(owner: string, listener: Listener): Disposer {
    this.listeners.set(listener, owner);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
