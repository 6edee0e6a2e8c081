/** Reconnect delays: doubling from `initialMs` up to `maxMs`, with jitter so many bridges do not retry in step. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    // +-20 % jitter, never above the ceiling.
    return Math.min(this.maxMs, Math.round(base * (0.8 + 0.4 * this.random())));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
