/**
 * Clips and holds: the shared record of footage that the recorder writes and the evidence
 * module reads. A hold (evidence marked by the victim, a SmartWater report, a police request)
 * protects every clip and segment of its camera(s) that overlaps its time window from retention
 * and disk-pressure cleanup for as long as it is active.
 */
import { randomUUID } from 'node:crypto';
import type { ClipTrigger } from '../api/events.js';
import type { Database } from './database.js';

export interface ClipRecord {
  id: string;
  cameraId: string;
  trigger: ClipTrigger;
  /** Path relative to the data folder. */
  path: string;
  sha256: string;
  size: number;
  startTs: number;
  endTs: number;
  snapshotPath: string | null;
  snapshotSha256: string | null;
  correlationId: string | null;
  /**
   * The camera's clock minus the hub's arrival time while the footage was recorded (ms, from the
   * camera's RTCP sender reports); null when the camera sent none. Absent on older clips.
   */
  cameraOffsetMs?: number | null;
  createdAt: number;
  deletedAt: number | null;
  deleteReason: string | null;
}

export type HoldKind = 'evidence' | 'smartwater' | 'police_request' | 'alarm';

export interface HoldRecord {
  id: string;
  kind: HoldKind;
  reason: string;
  /** null: every camera. */
  cameraId: string | null;
  fromTs: number;
  toTs: number;
  /** The police request (or other record) this hold belongs to. */
  refId: string | null;
  createdAt: number;
  releasedAt: number | null;
}

interface ClipRow {
  id: string;
  camera_id: string;
  trigger: ClipTrigger;
  path: string;
  sha256: string;
  size: number;
  start_ts: number;
  end_ts: number;
  snapshot_path: string | null;
  snapshot_sha256: string | null;
  correlation_id: string | null;
  camera_offset_ms?: number | null;
  created_at: number;
  deleted_at: number | null;
  delete_reason: string | null;
}

interface HoldRow {
  id: string;
  kind: HoldKind;
  reason: string;
  camera_id: string | null;
  from_ts: number;
  to_ts: number;
  ref_id: string | null;
  created_at: number;
  released_at: number | null;
}

const toClip = (r: ClipRow): ClipRecord => ({
  id: r.id,
  cameraId: r.camera_id,
  trigger: r.trigger,
  path: r.path,
  sha256: r.sha256,
  size: r.size,
  startTs: r.start_ts,
  endTs: r.end_ts,
  snapshotPath: r.snapshot_path,
  snapshotSha256: r.snapshot_sha256,
  correlationId: r.correlation_id,
  ...(r.camera_offset_ms != null ? { cameraOffsetMs: r.camera_offset_ms } : {}),
  createdAt: r.created_at,
  deletedAt: r.deleted_at,
  deleteReason: r.delete_reason,
});

const toHold = (r: HoldRow): HoldRecord => ({
  id: r.id,
  kind: r.kind,
  reason: r.reason,
  cameraId: r.camera_id,
  fromTs: r.from_ts,
  toTs: r.to_ts,
  refId: r.ref_id,
  createdAt: r.created_at,
  releasedAt: r.released_at,
});

export class FootageStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async addClip(c: Omit<ClipRecord, 'id' | 'createdAt' | 'deletedAt' | 'deleteReason'> & { id?: string }): Promise<ClipRecord> {
    const id = c.id ?? randomUUID();
    const createdAt = this.now();
    await this.db.run(
      `INSERT INTO clips (id, camera_id, trigger, path, sha256, size, start_ts, end_ts, snapshot_path, snapshot_sha256, correlation_id, created_at, camera_offset_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        c.cameraId,
        c.trigger,
        c.path,
        c.sha256,
        c.size,
        c.startTs,
        c.endTs,
        c.snapshotPath,
        c.snapshotSha256,
        c.correlationId,
        createdAt,
        c.cameraOffsetMs ?? null,
      ],
    );
    return { ...c, id, createdAt, deletedAt: null, deleteReason: null };
  }

  async clip(id: string): Promise<ClipRecord | undefined> {
    const r = await this.db.get<ClipRow>('SELECT * FROM clips WHERE id = ?', [id]);
    return r ? toClip(r) : undefined;
  }

  /** Clips (not deleted) overlapping a window, oldest first. */
  async clips(filter: { cameraIds?: string[]; fromTs?: number; toTs?: number; limit?: number } = {}): Promise<ClipRecord[]> {
    const where = ['deleted_at IS NULL', 'end_ts >= ?', 'start_ts <= ?'];
    const params: Array<string | number> = [filter.fromTs ?? 0, filter.toTs ?? Number.MAX_SAFE_INTEGER];
    if (filter.cameraIds && filter.cameraIds.length > 0) {
      where.push(`camera_id IN (${filter.cameraIds.map(() => '?').join(',')})`);
      params.push(...filter.cameraIds);
    }
    params.push(filter.limit ?? 10_000);
    const rows = await this.db.all<ClipRow>(`SELECT * FROM clips WHERE ${where.join(' AND ')} ORDER BY start_ts LIMIT ?`, params);
    return rows.map(toClip);
  }

  /** Record that a clip's files were deleted (the row stays: the audit trail needs it). */
  async markClipDeleted(id: string, reason: string): Promise<void> {
    await this.db.run('UPDATE clips SET deleted_at = ?, delete_reason = ? WHERE id = ? AND deleted_at IS NULL', [this.now(), reason, id]);
  }

  async addHold(h: Omit<HoldRecord, 'id' | 'createdAt' | 'releasedAt'>): Promise<HoldRecord> {
    const id = randomUUID();
    const createdAt = this.now();
    await this.db.run(
      'INSERT INTO holds (id, kind, reason, camera_id, from_ts, to_ts, ref_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, h.kind, h.reason, h.cameraId, h.fromTs, h.toTs, h.refId, createdAt],
    );
    return { ...h, id, createdAt, releasedAt: null };
  }

  async hold(id: string): Promise<HoldRecord | undefined> {
    const r = await this.db.get<HoldRow>('SELECT * FROM holds WHERE id = ?', [id]);
    return r ? toHold(r) : undefined;
  }

  /** Widen a hold's window (a clip window that grew while its trigger kept coming). */
  async setHoldWindow(id: string, fromTs: number, toTs: number): Promise<void> {
    await this.db.run('UPDATE holds SET from_ts = ?, to_ts = ? WHERE id = ? AND released_at IS NULL', [fromTs, toTs, id]);
  }

  async releaseHold(id: string): Promise<void> {
    await this.db.run('UPDATE holds SET released_at = ? WHERE id = ? AND released_at IS NULL', [this.now(), id]);
  }

  async activeHolds(): Promise<HoldRecord[]> {
    return (await this.db.all<HoldRow>('SELECT * FROM holds WHERE released_at IS NULL ORDER BY from_ts')).map(toHold);
  }

  /** True when footage of `cameraId` between `fromTs` and `toTs` is under an active hold. */
  async isHeld(cameraId: string, fromTs: number, toTs: number): Promise<boolean> {
    const row = await this.db.get(
      'SELECT id FROM holds WHERE released_at IS NULL AND (camera_id IS NULL OR camera_id = ?) AND from_ts <= ? AND to_ts >= ? LIMIT 1',
      [cameraId, toTs, fromTs],
    );
    return row !== undefined;
  }
}
