/**
 * One drain loop per key (an alert channel, a push subscription): `kick` starts the key's loop or,
 * when it is running, makes it run once more after it finishes, so each key is drained in order
 * by one loop at a time; `schedule` kicks it again after a delay (a backoff). The durable outbox
 * and the push queue share this; what a drain does is theirs.
 */
export class KeyedDrains {
  private readonly busy = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  /**
   * @param drain sends what is waiting for a key.
   * @param failed a drain that threw (a database error mid-drain): logs it and says how soon to
   *   try again; the rows are still there.
   */
  constructor(
    private readonly drain: (key: string) => Promise<void>,
    private readonly failed: (key: string, err: unknown) => number,
  ) {}

  kick(key: string): void {
    if (this.stopped) return;
    if (this.busy.has(key)) {
      this.again.add(key);
      return;
    }
    const run = this.drain(key)
      .catch((err: unknown) => this.schedule(key, this.failed(key, err)))
      .finally(() => {
        this.busy.delete(key);
        if (this.again.delete(key)) this.kick(key);
      });
    this.busy.set(key, run);
  }

  schedule(key: string, delayMs: number): void {
    if (this.stopped) return;
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    this.timers.set(
      key,
      setTimeout(
        () => {
          this.timers.delete(key);
          this.kick(key);
        },
        Math.max(0, delayMs),
      ),
    );
  }

  /** Runs a key that is waiting out a delay now; false when nothing was waiting. */
  release(key: string): boolean {
    if (this.stopped) return false;
    const timer = this.timers.get(key);
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(key);
    this.kick(key);
    return true;
  }

  /** No more kicks; waits for the loops that are running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.busy.values()]);
  }
}
