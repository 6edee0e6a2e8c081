/**
 * The hub's one serialising primitive: tasks run one at a time, in the order they were queued,
 * each getting its own outcome while the queue carries on whatever that outcome was. The audit
 * chain, PIN checks, the alarm's writes, the outbox, export progress and the database's write
 * path all use this instead of each keeping its own promise chain (which is how a forgotten
 * rejection handler once stalled a queue for good).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Queue `task`; it starts once every task queued before it has settled. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.waiting++;
    const next = this.tail.then(task);
    const settled = next.then(
      () => this.done(),
      () => this.done(),
    );
    this.tail = settled;
    return next;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.waiting;
  }

  /** Resolves once everything queued so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  private done(): void {
    this.waiting--;
  }
}
