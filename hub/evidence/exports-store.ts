/** Rows of `evidence_exports`: one per package build, with its progress and outcome. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../storage/database.js';

export type ExportState = 'running' | 'ready' | 'failed';

export interface ExportRecord {
  id: string;
  requestId: string;
  state: ExportState;
  phase: string;
  done: number;
  total: number;
  /** Relative to the data folder. */
  path: string | null;
  sha256: string | null;
  size: number | null;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

interface ExportRow {
  id: string;
  request_id: string;
  state: ExportState;
  phase: string;
  done: number;
  total: number;
  path: string | null;
  sha256: string | null;
  size: number | null;
  error: string | null;
  created_at: number;
  finished_at: number | null;
}

const toRecord = (r: ExportRow): ExportRecord => ({
  id: r.id,
  requestId: r.request_id,
  state: r.state,
  phase: r.phase,
  done: r.done,
  total: r.total,
  path: r.path,
  sha256: r.sha256,
  size: r.size,
  error: r.error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export class ExportStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  async create(requestId: string): Promise<ExportRecord> {
    const id = randomUUID();
    const createdAt = this.now();
    await this.db.run(
      "INSERT INTO evidence_exports (id, request_id, state, phase, done, total, created_at) VALUES (?, ?, 'running', 'queued', 0, 0, ?)",
      [id, requestId, createdAt],
    );
    return {
      id,
      requestId,
      state: 'running',
      phase: 'queued',
      done: 0,
      total: 0,
      path: null,
      sha256: null,
      size: null,
      error: null,
      createdAt,
      finishedAt: null,
    };
  }

  async progress(id: string, phase: string, done: number, total: number): Promise<void> {
    await this.db.run('UPDATE evidence_exports SET phase = ?, done = ?, total = ? WHERE id = ?', [phase, done, total, id]);
  }

  async ready(id: string, r: { path: string; sha256: string; size: number }): Promise<void> {
    await this.db.run(
      "UPDATE evidence_exports SET state = 'ready', phase = 'ready', done = total, path = ?, sha256 = ?, size = ?, finished_at = ? WHERE id = ?",
      [r.path, r.sha256, r.size, this.now(), id],
    );
  }

  async failed(id: string, error: string): Promise<void> {
    await this.db.run("UPDATE evidence_exports SET state = 'failed', phase = 'failed', error = ?, finished_at = ? WHERE id = ?", [
      error,
      this.now(),
      id,
    ]);
  }

  async get(id: string): Promise<ExportRecord | undefined> {
    const r = await this.db.get<ExportRow>('SELECT * FROM evidence_exports WHERE id = ?', [id]);
    return r ? toRecord(r) : undefined;
  }

  /** The newest export of a request. */
  async latest(requestId: string): Promise<ExportRecord | undefined> {
    const r = await this.db.get<ExportRow>(
      'SELECT * FROM evidence_exports WHERE request_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
      [requestId],
    );
    return r ? toRecord(r) : undefined;
  }

  /** Exports a stopped hub left running are failed at start: their partial files are not packages. */
  async failInterrupted(): Promise<number> {
    const r = await this.db.run(
      "UPDATE evidence_exports SET state = 'failed', phase = 'failed', error = 'the hub stopped during the export', finished_at = ? WHERE state = 'running'",
      [this.now()],
    );
    return r.changes;
  }
}
