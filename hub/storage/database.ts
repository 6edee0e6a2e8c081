/**
 * A small promise wrapper over sqlite3. One connection, WAL mode, foreign keys on. Writes are
 * serialised by sqlite3's own queue; `transaction` runs a function inside BEGIN IMMEDIATE/COMMIT
 * with a mutex so two transactions never interleave on the one connection.
 */
import sqlite3 from 'sqlite3';
import { HubError } from '../api/errors.js';

export type SqlValue = string | number | bigint | Buffer | null;
export type SqlParams = SqlValue[] | Record<string, SqlValue>;

export interface RunResult {
  changes: number;
  lastID: number;
}

export class Database {
  private constructor(
    private readonly db: sqlite3.Database,
    readonly path: string,
  ) {}
  private txTail: Promise<unknown> = Promise.resolve();
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
    if (!options.readOnly) await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    return db;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (err) => (err ? reject(wrap(err, sql)) : resolve()));
    });
  }

  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(wrap(err, sql));
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (err, row) => (err ? reject(wrap(err, sql)) : resolve(row as T | undefined)));
    });
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (err, rows) => (err ? reject(wrap(err, sql)) : resolve(rows as T[])));
    });
  }

  /** Run `fn` in one write transaction; concurrent callers queue behind each other. */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.txTail.then(async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn();
        await this.exec('COMMIT');
        return result;
      } catch (err) {
        await this.exec('ROLLBACK');
        throw err;
      }
    });
    // The queue continues whatever this transaction's outcome; the caller gets the outcome.
    this.txTail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.txTail;
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}

function wrap(err: Error, sql: string): HubError {
  const first = sql.trim().split('\n')[0]?.slice(0, 80) ?? '';
  return new HubError('HUB_ERR_DATABASE', `database: ${err.message} (in: ${first})`, { cause: err });
}
