/**
 * Every bus event is written to the `events` table (the timeline, and what evidence packages list
 * for a time window). Writes are batched so a burst of sensor messages costs one transaction.
 */
import { describeError } from '../api/errors.js';
import type { Disposer, EventBus, EventMap, EventName } from '../api/events.js';
import type { Logger } from '../api/plugin.js';
import type { Database } from '../storage/database.js';

/** High-rate events that are not worth a row each. */
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
  private flushing: Promise<void> | null = null;
  private off: Disposer | null = null;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  attach(bus: EventBus): void {
    this.off = bus.onAny('event-log', (name, event) => {
      if (NOT_STORED.has(name)) return;
      this.queue.push([name, event]);
      if (!this.flushing) this.flushing = Promise.resolve().then(() => this.flush());
    });
  }

  async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
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
        this.log.error({ err: describeError(err), lost: batch.length }, 'could not store events');
      }
    }
    this.flushing = null;
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
    if (this.flushing) await this.flushing;
    await this.flush();
  }
}
