/**
 * A small promise wrapper over sqlite3: one connection, WAL mode, foreign keys on,
 * `synchronous = FULL`.
 *
 * One write path. Every statement goes through one SerialQueue, one at a time. A transaction
 * holds that queue from BEGIN IMMEDIATE to COMMIT/ROLLBACK; only statements issued from inside
 * the transaction's own callback (tracked with AsyncLocalStorage, so callers keep calling
 * `db.run`) run in it. A plain write from anyone else waits for the transaction to end, so it can
 * never be rolled back with somebody else's transaction, and no reader sees uncommitted rows.
 * Why one queue on one connection rather than one connection per concern: SQLite allows one
 * writer per file anyway, a second connection would only turn queueing into SQLITE_BUSY retries,
 * and a Raspberry Pi hub's write load (a segment row every few seconds, batched events, the odd
 * alert or audit entry) is far below what one serial connection does.
 *
 * Why FULL for the whole file rather than per table: `synchronous` is a property of a
 * connection, not a table; the tables whose loss loses evidence or alerts (clip intents, clips,
 * holds, audit log, alerts and deliveries, alarm state) take most of the commits, and with WAL
 * FULL costs one fsync of the WAL per commit, which the event log already amortises by batching.
 * NORMAL with WAL can lose the last commits on a power cut: an alert the hub believed queued.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import sqlite3 from 'sqlite3';
import { HubError } from '../api/errors.js';
import { SerialQueue } from './serial-queue.js';

export type SqlValue = string | number | bigint | Buffer | null;
export type SqlParams = SqlValue[] | Record<string, SqlValue>;

export interface RunResult {
  changes: number;
  lastID: number;
}

/** The transaction a call runs in; `open` turns false at COMMIT/ROLLBACK so late stragglers queue. */
interface TxScope {
  open: boolean;
}

export class Database {
  private constructor(
    private readonly db: sqlite3.Database,
    readonly path: string,
  ) {}
  private readonly queue = new SerialQueue();
  private readonly scope = new AsyncLocalStorage<TxScope>();
  private closed = false;

  /**
   * Open the hub's database. `readOnly` is for tools that inspect a hub's data without running it
   * (`sanctuary verify --audit`, `sanctuary exports`): nothing can be written, not even pragmas.
   */
  static async open(path: string, options: { readOnly?: boolean } = {}): Promise<Database> {
    const mode = options.readOnly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(path, mode, (err) => (err ? reject(err) : resolve(d)));
    }).catch((err: unknown) => {
      throw new HubError('HUB_ERR_DATABASE', `cannot open database ${path}${options.readOnly ? ' read-only' : ''}`, { cause: err });
    });
    const db = new Database(raw, path);
    raw.configure('busyTimeout', 5000);
    if (!options.readOnly) await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
    return db;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** True when called from inside a transaction callback that is still open. */
  get inTransaction(): boolean {
    return this.scope.getStore()?.open === true;
  }

  exec(sql: string): Promise<void> {
    return this.statement(
      () =>
        new Promise((resolve, reject) => {
          this.db.exec(sql, (err) => (err ? reject(wrap(err, sql)) : resolve()));
        }),
    );
  }

  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return this.statement(
      () =>
        new Promise((resolve, reject) => {
          this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
            if (err) reject(wrap(err, sql));
            else resolve({ changes: this.changes, lastID: this.lastID });
          });
        }),
    );
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return this.statement(
      () =>
        new Promise((resolve, reject) => {
          this.db.get(sql, params, (err, row) => (err ? reject(wrap(err, sql)) : resolve(row as T | undefined)));
        }),
    );
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return this.statement(
      () =>
        new Promise((resolve, reject) => {
          this.db.all(sql, params, (err, rows) => (err ? reject(wrap(err, sql)) : resolve(rows as T[])));
        }),
    );
  }

  /**
   * Run `fn` in one write transaction; concurrent callers (and plain statements from outside
   * `fn`) queue behind it. A transaction started from inside another joins it.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn();
    return this.queue.run(async () => {
      const tx: TxScope = { open: true };
      await this.raw('BEGIN IMMEDIATE');
      try {
        const result = await this.scope.run(tx, fn);
        tx.open = false;
        await this.raw('COMMIT');
        return result;
      } catch (err) {
        tx.open = false;
        await this.raw('ROLLBACK');
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.idle();
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }

  private statement<T>(op: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return op();
    return this.queue.run(op);
  }

  private raw(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (err) => (err ? reject(wrap(err, sql)) : resolve()));
    });
  }
}

function wrap(err: Error, sql: string): HubError {
  const first = sql.trim().split('\n')[0]?.slice(0, 80) ?? '';
  return new HubError('HUB_ERR_DATABASE', `database: ${err.message} (in: ${first})`, { cause: err });
}
