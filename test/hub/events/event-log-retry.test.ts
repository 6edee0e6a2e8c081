/**
 * A batch of events the database refuses is kept and retried, never dropped: the real database
 * is made read-only for a moment (`PRAGMA query_only`), events keep arriving, and once it takes
 * writes again every event is stored, in order.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HubEventBus } from '../../../hub/bus/event-bus.js';
import { EventLog } from '../../../hub/events/event-log.js';
import { Database } from '../../../hub/storage/database.js';
import { migrate } from '../../../hub/storage/migrate.js';
import { tempDir } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';

async function until(pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('event log', () => {
  let dir: string | null = null;
  let db: Database | null = null;
  let eventLog: EventLog | null = null;
  afterEach(async () => {
    await eventLog?.close();
    eventLog = null;
    await db?.close();
    db = null;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  it('retries a batch that failed to store and loses nothing', async () => {
    dir = await tempDir('sanctuary-events-');
    db = await Database.open(join(dir, 'hub.db'));
    await migrate(db);
    const logs = new LogCapture();
    const bus = new HubEventBus(logs.logger);
    eventLog = new EventLog(db, logs.logger);
    eventLog.attach(bus);

    bus.emit('panic', { source: 'test', origin: 'api', userId: null, loud: false });
    await eventLog.flush();
    await db.exec('PRAGMA query_only = ON');
    for (let i = 0; i < 5; i++) bus.emit('panic', { source: `during-${i}`, origin: 'api', userId: null, loud: false });
    await until(() => logs.find((l) => l.msg === 'could not store events; keeping them and retrying') !== undefined);
    expect(eventLog.waiting).toBe(5);
    // More arrive while the retry is pending.
    bus.emit('panic', { source: 'during-5', origin: 'api', userId: null, loud: false });
    await db.exec('PRAGMA query_only = OFF');
    const database = db;
    await until(async () => ((await database.get<{ n: number }>('SELECT COUNT(*) AS n FROM events'))?.n ?? 0) === 7);
    const rows = await db.all<{ source: string }>('SELECT source FROM events ORDER BY seq');
    expect(rows.map((r) => r.source)).toEqual(['test', 'during-0', 'during-1', 'during-2', 'during-3', 'during-4', 'during-5']);
    expect(eventLog.waiting).toBe(0);
    expect(logs.find((l) => l.msg === 'events stored again after a failure')).toBeDefined();
  });
});
