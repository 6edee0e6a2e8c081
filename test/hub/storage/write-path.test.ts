/**
 * The one write path into SQLite: a plain write issued while another caller's transaction is
 * open lands after it, so it survives that transaction's rollback; readers never see rows a
 * transaction has not committed; the serial queue keeps order whatever each task's outcome.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../../hub/storage/database.js';
import { SerialQueue } from '../../../hub/storage/serial-queue.js';
import { tempDir } from '../../helpers/hub.js';

describe('database write path', () => {
  const dirs: string[] = [];
  const dbs: Database[] = [];
  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function open(): Promise<Database> {
    const dir = await tempDir('sanctuary-db-');
    dirs.push(dir);
    const db = await Database.open(join(dir, 'hub.db'));
    dbs.push(db);
    await db.exec('CREATE TABLE t (v TEXT NOT NULL)');
    return db;
  }

  it('a plain write issued during another caller’s transaction is not rolled back with it', async () => {
    const db = await open();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let began: () => void = () => undefined;
    const inside = new Promise<void>((r) => {
      began = r;
    });
    const tx = db.transaction(async () => {
      await db.run("INSERT INTO t (v) VALUES ('tx')");
      began();
      await gate;
      throw new Error('the transaction fails');
    });
    await inside;
    // Another caller (an audit entry, an alert status) writes while the transaction is open.
    const plain = db.run("INSERT INTO t (v) VALUES ('plain')");
    release();
    await expect(tx).rejects.toThrow('the transaction fails');
    await plain;
    const rows = await db.all<{ v: string }>('SELECT v FROM t');
    expect(rows.map((r) => r.v)).toEqual(['plain']);
  });

  it('a reader outside the transaction does not see its uncommitted rows', async () => {
    const db = await open();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let began: () => void = () => undefined;
    const inside = new Promise<void>((r) => {
      began = r;
    });
    const tx = db.transaction(async () => {
      await db.run("INSERT INTO t (v) VALUES ('tx')");
      began();
      await gate;
      throw new Error('rolled back');
    });
    await inside;
    const read = db.all<{ v: string }>('SELECT v FROM t');
    release();
    await expect(tx).rejects.toThrow('rolled back');
    expect(await read).toEqual([]);
  });

  it('a statement left running after its transaction ended queues like any other', async () => {
    const db = await open();
    let straggler: Promise<unknown> | null = null;
    await db.transaction(async () => {
      await db.run("INSERT INTO t (v) VALUES ('a')");
      // Not awaited: runs after COMMIT, so it must not be treated as part of the transaction.
      straggler = new Promise((r) => setTimeout(r, 20)).then(() => db.run("INSERT INTO t (v) VALUES ('late')"));
    });
    const second = db.transaction(async () => {
      await db.run("INSERT INTO t (v) VALUES ('b')");
      await new Promise((r) => setTimeout(r, 50));
      throw new Error('second fails');
    });
    await expect(second).rejects.toThrow('second fails');
    await straggler;
    expect((await db.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v)).toEqual(['a', 'late']);
  });

  it('a transaction inside a transaction joins it', async () => {
    const db = await open();
    await expect(
      db.transaction(async () => {
        await db.transaction(async () => {
          await db.run("INSERT INTO t (v) VALUES ('inner')");
        });
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await db.all('SELECT v FROM t')).toEqual([]);
  });

  it('runs with synchronous = FULL and WAL', async () => {
    const db = await open();
    expect(await db.get<{ synchronous: number }>('PRAGMA synchronous')).toEqual({ synchronous: 2 });
    expect(await db.get<{ journal_mode: string }>('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
  });
});

describe('SerialQueue', () => {
  it('runs tasks one at a time in order and carries on after a failure', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const a = q.run(async () => {
      log.push('a start');
      await new Promise((r) => setTimeout(r, 20));
      log.push('a end');
      return 1;
    });
    const b = q.run(() => {
      log.push('b');
      throw new Error('b fails');
    });
    const c = q.run(async () => {
      log.push('c');
      return 3;
    });
    expect(q.size).toBe(3);
    await expect(a).resolves.toBe(1);
    await expect(b).rejects.toThrow('b fails');
    await expect(c).resolves.toBe(3);
    await q.idle();
    expect(q.size).toBe(0);
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
  });
});
