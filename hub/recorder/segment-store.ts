/**
 * The index of recorded segments (SQLite table `recorder_segments`, migration 100). Segment files
 * restart their own timestamps at zero, so the wall-clock start and end the recorder measured are
 * kept here; clips and retention read from this index, never from file names.
 */
import type { Database } from '../storage/database.js';

export interface SegmentRecord {
  id: number;
  cameraId: string;
  /** Relative to the data folder. */
  path: string;
  startTs: number;
  endTs: number;
  size: number;
  /** Written while continuous recording was on (kept for the retention period, not the buffer). */
  continuous: boolean;
  /** Camera clock minus hub arrival time while it was recorded (ms); null: the camera sent no RTCP time. */
  cameraOffsetMs?: number | null;
}

interface SegmentRow {
  id: number;
  camera_id: string;
  path: string;
  start_ts: number;
  end_ts: number;
  size: number;
  continuous: number;
  camera_offset_ms: number | null;
}

const toSegment = (r: SegmentRow): SegmentRecord => ({
  id: r.id,
  cameraId: r.camera_id,
  path: r.path,
  startTs: r.start_ts,
  endTs: r.end_ts,
  size: r.size,
  continuous: r.continuous === 1,
  cameraOffsetMs: r.camera_offset_ms ?? null,
});

export class SegmentStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  async add(s: Omit<SegmentRecord, 'id'>): Promise<SegmentRecord> {
    const r = await this.db.run(
      `INSERT INTO recorder_segments (camera_id, path, start_ts, end_ts, size, continuous, created_at, camera_offset_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET end_ts = excluded.end_ts, size = excluded.size`,
      [s.cameraId, s.path, s.startTs, s.endTs, s.size, s.continuous ? 1 : 0, this.now(), s.cameraOffsetMs ?? null],
    );
    return { ...s, id: r.lastID };
  }

  /** Live (not deleted) segments of a camera overlapping [fromTs, toTs], oldest first. */
  async overlapping(cameraId: string, fromTs: number, toTs: number): Promise<SegmentRecord[]> {
    const rows = await this.db.all<SegmentRow>(
      'SELECT * FROM recorder_segments WHERE deleted_at IS NULL AND camera_id = ? AND end_ts > ? AND start_ts < ? ORDER BY start_ts',
      [cameraId, fromTs, toTs],
    );
    return rows.map(toSegment);
  }

  /** Deleted segments of a camera overlapping [fromTs, toTs], with why (evidence exports list them as gaps). */
  async removedOverlapping(
    cameraId: string,
    fromTs: number,
    toTs: number,
  ): Promise<Array<SegmentRecord & { deleteReason: string | null }>> {
    const rows = await this.db.all<SegmentRow & { delete_reason: string | null }>(
      'SELECT * FROM recorder_segments WHERE deleted_at IS NOT NULL AND camera_id = ? AND end_ts > ? AND start_ts < ? ORDER BY start_ts',
      [cameraId, fromTs, toTs],
    );
    return rows.map((r) => ({ ...toSegment(r), deleteReason: r.delete_reason }));
  }

  /** Every live segment, oldest first (retention walks this). */
  async live(filter: { cameraId?: string; limit?: number } = {}): Promise<SegmentRecord[]> {
    const rows = filter.cameraId
      ? await this.db.all<SegmentRow>(
          'SELECT * FROM recorder_segments WHERE deleted_at IS NULL AND camera_id = ? ORDER BY start_ts LIMIT ?',
          [filter.cameraId, filter.limit ?? 1_000_000],
        )
      : await this.db.all<SegmentRow>('SELECT * FROM recorder_segments WHERE deleted_at IS NULL ORDER BY start_ts LIMIT ?', [
          filter.limit ?? 1_000_000,
        ]);
    return rows.map(toSegment);
  }

  async latest(cameraId: string): Promise<SegmentRecord | undefined> {
    const r = await this.db.get<SegmentRow>(
      'SELECT * FROM recorder_segments WHERE deleted_at IS NULL AND camera_id = ? ORDER BY end_ts DESC LIMIT 1',
      [cameraId],
    );
    return r ? toSegment(r) : undefined;
  }

  async knownPaths(cameraId: string): Promise<Set<string>> {
    const rows = await this.db.all<{ path: string }>('SELECT path FROM recorder_segments WHERE camera_id = ?', [cameraId]);
    return new Set(rows.map((r) => r.path));
  }

  async totalBytes(): Promise<number> {
    const r = await this.db.get<{ total: number | null }>('SELECT SUM(size) AS total FROM recorder_segments WHERE deleted_at IS NULL');
    return r?.total ?? 0;
  }

  /** The file moved (a RAM segment spilled to the card). */
  async movePath(id: number, path: string): Promise<void> {
    await this.db.run('UPDATE recorder_segments SET path = ? WHERE id = ?', [path, id]);
  }

  async markDeleted(id: number, reason: string): Promise<void> {
    await this.db.run('UPDATE recorder_segments SET deleted_at = ?, delete_reason = ? WHERE id = ? AND deleted_at IS NULL', [
      this.now(),
      reason,
      id,
    ]);
  }
}
