/**
 * Warnings about bad input, rate-limited per kind of problem: a flood of garbage on a topic (a
 * broken device, or someone on the network) must not flood the log or the SD card. The first
 * `burst` lines of a kind in a window are logged in full; the rest are counted and summarised.
 */
import type { Logger } from '../../hub/api/index.js';

interface Window {
  startedAt: number;
  logged: number;
  suppressed: number;
}

export class LogThrottle {
  private readonly windows = new Map<string, Window>();
  /** Messages refused since start, by kind (health details and tests read this). */
  readonly refused = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly burst: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    this.refused.set(kind, (this.refused.get(kind) ?? 0) + 1);
    const now = this.now();
    let w = this.windows.get(kind);
    if (w && now - w.startedAt >= this.windowMs) {
      this.summarise(kind, w);
      w = undefined;
    }
    if (!w) {
      w = { startedAt: now, logged: 0, suppressed: 0 };
      this.windows.set(kind, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      this.log.warn({ problem: kind, ...fields }, msg);
    } else {
      w.suppressed++;
    }
  }

  /** Close windows that have run out (called from a timer, and on stop). */
  flush(force = false): void {
    const now = this.now();
    for (const [kind, w] of this.windows) {
      if (force || now - w.startedAt >= this.windowMs) {
        this.summarise(kind, w);
        this.windows.delete(kind);
      }
    }
  }

  totalRefused(): number {
    let n = 0;
    for (const v of this.refused.values()) n += v;
    return n;
  }

  private summarise(kind: string, w: Window): void {
    if (w.suppressed > 0) {
      this.log.warn(
        { problem: kind, suppressed: w.suppressed, windowMs: this.windowMs },
        `${w.suppressed} more messages refused (${kind}); not logged one by one`,
      );
    }
  }
}
