/**
 * Every bus event is written to the `events` table (the timeline, and what evidence packages list
 * for a time window). Writes are batched so a burst of sensor messages costs one transaction.
 * A batch that cannot be stored (a locked or read-only moment, a full disk) stays queued, in
 * order, and is retried with backoff: events are never dropped while the hub runs.
 */
import { describeError } from '../api/errors.js';
import type { Disposer, EventBus, EventMap, EventName } from '../api/events.js';
import type { Logger } from '../api/plugin.js';
import type { Database } from '../storage/database.js';
import { SerialQueue } from '../storage/serial-queue.js';

/** High-rate events that are not worth a row each. */
/** Rows per transaction: a long backlog after an outage is written in bounded steps. */
const BATCH = 500;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

const NOT_STORED = new Set<EventName>(['segment.written', 'export.progress', 'sensor.seen', 'person.updated']);

export interface StoredEvent {
  seq: number;
  ts: number;
  name: EventName;
  source: string;
  correlationId: string;
  payload: EventMap[EventName];
}

export class EventLog {
  private queue: Array<[EventName, EventMap[EventName]]> = [];
  private readonly writer = new SerialQueue();
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private off: Disposer | null = null;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  attach(bus: EventBus): void {
    this.off = bus.onAny('event-log', (name, event) => {
      if (NOT_STORED.has(name)) return;
      this.queue.push([name, event]);
      // While a retry is scheduled the backlog waits for it (no hammering a failing disk).
      if (this.writer.size === 0 && !this.retryTimer) void this.flush();
    });
  }

  /** Events waiting to be stored (after a failure, until the retry succeeds). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Store what is queued now. Never rejects: a failure is logged and retried later. */
  flush(): Promise<void> {
    return this.writer.run(() => this.drain());
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, BATCH);
      try {
        await this.db.transaction(async () => {
          for (const [name, e] of batch) {
            await this.db.run('INSERT INTO events (ts, name, source, correlation_id, payload) VALUES (?, ?, ?, ?, ?)', [
              e.ts,
              name,
              e.source,
              e.correlationId,
              JSON.stringify(e),
            ]);
          }
        });
      } catch (err) {
        this.failures++;
        const delay = Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
        this.log.error(
          { err: describeError(err), waiting: this.queue.length, attempt: this.failures, retryInMs: delay },
          'could not store events; keeping them and retrying',
        );
        this.scheduleRetry(delay);
        return;
      }
      // Events that arrived during the write were appended behind this batch.
      this.queue.splice(0, batch.length);
      if (this.failures > 0) this.log.info({ attempts: this.failures }, 'events stored again after a failure');
      this.failures = 0;
    }
  }

  private scheduleRetry(delay: number): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, delay);
  }

  async query(filter: { from?: number; to?: number; names?: string[]; limit?: number; beforeSeq?: number }): Promise<StoredEvent[]> {
    const where = ['ts >= ?', 'ts <= ?', 'seq < ?'];
    const params: Array<string | number> = [
      filter.from ?? 0,
      filter.to ?? Number.MAX_SAFE_INTEGER,
      filter.beforeSeq ?? Number.MAX_SAFE_INTEGER,
    ];
    if (filter.names && filter.names.length > 0) {
      where.push(`name IN (${filter.names.map(() => '?').join(',')})`);
      params.push(...filter.names);
    }
    params.push(Math.min(filter.limit ?? 200, 5000));
    const rows = await this.db.all<{
      seq: number;
      ts: number;
      name: EventName;
      source: string;
      correlation_id: string;
      payload: string;
    }>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`, params);
    return rows.map((r) => ({
      seq: r.seq,
      ts: r.ts,
      name: r.name,
      source: r.source,
      correlationId: r.correlation_id,
      payload: JSON.parse(r.payload),
    }));
  }

  async close(): Promise<void> {
    this.off?.();
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.flush();
    if (this.queue.length > 0) this.log.error({ lost: this.queue.length }, 'hub stopping with events it could not store');
  }
}
