/**
 * Liveness of the hub's critical loops, for the systemd watchdog. A loop registers a probe: a tiny
 * task sent through the loop itself (the alarm's write queue, the outbox's raise queue, the
 * recorder's maintenance pass), so a probe settles only when that loop is really moving. The
 * watchdog pings systemd only while the event loop is on time and every loop answered recently;
 * a hung loop therefore makes systemd restart the hub instead of leaving a silent box.
 */
import type { Logger } from '../api/plugin.js';
import type { HealthRegistry } from '../health/health.js';

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

/**
 * Without a systemd watchdog nothing else ticks Liveness, so the hub watches its loops itself and
 * reports them as the critical health component `loops`: a loop that stopped makes the hub
 * `failed` (public health says up: false, and `sanctuary update` rolls a release back for it).
 * Returns the disposer.
 */
export function monitorLoops(liveness: Liveness, health: HealthRegistry, everyMs: number): () => void {
  let before: string | null = null;
  const tick = () => {
    const verdict = liveness.tick(everyMs);
    const key = verdict.stale.join(',');
    if (key === before) return;
    before = key;
    if (verdict.ok) health.set('loops', 'ok', `${liveness.names().join(', ') || 'no critical loops'} make progress`);
    else health.set('loops', 'failed', `no progress from ${verdict.stale.join(', ')}: the hub cannot be relied on until it restarts`);
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
