/**
 * Liveness of the hub's critical loops, for the systemd watchdog. A loop registers a probe: a tiny
 * task sent through the loop itself (the alarm's write queue, the outbox's raise queue, the
 * recorder's maintenance pass), so a probe settles only when that loop is really moving. The
 * watchdog pings systemd only while the event loop is on time and every loop answered recently;
 * a hung loop therefore makes systemd restart the hub instead of leaving a silent box.
 */
import type { Logger } from '../api/plugin.js';

export type LoopProbe = () => Promise<unknown>;

interface Loop {
  probe: LoopProbe;
  lastProgress: number;
  pending: boolean;
}

export interface LivenessVerdict {
  ok: boolean;
  /** Loops (and `event-loop`) that have not made progress within the limit. */
  stale: string[];
}

export class Liveness {
  private readonly loops = new Map<string, Loop>();
  private lastTick: number | null = null;

  constructor(
    private readonly now: () => number,
    private readonly log: Logger,
    /** A loop silent for longer than this is stale. */
    readonly maxSilenceMs: number,
  ) {}

  /** Register a critical loop; returns the disposer (a stopped module is not a hung one). */
  register(name: string, probe: LoopProbe): () => void {
    const loop: Loop = { probe, lastProgress: this.now(), pending: false };
    this.loops.set(name, loop);
    return () => {
      if (this.loops.get(name) === loop) this.loops.delete(name);
    };
  }

  names(): string[] {
    return [...this.loops.keys()];
  }

  /**
   * Called on every watchdog tick: sends a probe through each loop that has none outstanding and
   * says whether everything made progress in time. `expectedIntervalMs` is the tick period, so a
   * tick that comes far too late shows the event loop itself was blocked.
   */
  tick(expectedIntervalMs: number): LivenessVerdict {
    const now = this.now();
    const stale: string[] = [];
    if (this.lastTick !== null && now - this.lastTick > expectedIntervalMs + this.maxSilenceMs / 2) stale.push('event-loop');
    this.lastTick = now;
    for (const [name, loop] of this.loops) {
      if (!loop.pending) {
        loop.pending = true;
        const started = this.now();
        loop.probe().then(
          () => {
            loop.pending = false;
            loop.lastProgress = Math.max(loop.lastProgress, started);
          },
          (err: unknown) => {
            // A probe that fails still shows the loop ran it: the failure is the loop's own to report.
            loop.pending = false;
            loop.lastProgress = Math.max(loop.lastProgress, started);
            this.log.warn({ loop: name, err: String(err) }, 'liveness probe failed');
          },
        );
      }
      if (now - loop.lastProgress > this.maxSilenceMs) stale.push(name);
    }
    return { ok: stale.length === 0, stale };
  }
}
