/**
 * Clip intents (table `recorder_clip_intents`, migrations 101 and 640): the window of a clip the recorder
 * means to write, stored the moment its trigger arrives. A pending intent survives a power cut:
 * the restarted hub cuts it from the segments on disk, and retention keeps every segment inside
 * a pending window. A trigger of a kind the owner holds by default (panic, duress, a triggered
 * alarm, a confirmed intrusion, SmartWater) also gets an evidence hold over the window, written
 * in the same transaction, so neither the clip nor its segments can age out before anyone looks.
 */
import type { ClipTrigger } from '../api/events.js';
import type { Database } from '../storage/database.js';
import type { FootageStore, HoldKind } from '../storage/footage.js';

/** What the owner may choose to hold by default (all of them unless they say otherwise). */
export type HeldKind = 'panic' | 'duress' | 'alarm' | 'intrusion' | 'smartwater';
export const HELD_KINDS: readonly HeldKind[] = ['panic', 'duress', 'alarm', 'intrusion', 'smartwater'];

export interface IntentTrigger {
  trigger: ClipTrigger;
  eventTs: number;
  correlationId: string;
}

export interface PendingClip {
  clipId: string;
  cameraId: string;
  trigger: ClipTrigger;
  eventTs: number;
  correlationId: string;
  startTs: number;
  endTs: number;
  /** Every trigger merged into this clip. */
  triggers: IntentTrigger[];
  /** Default-hold kinds among the triggers (an evidence hold covers the window when non-empty). */
  holdKinds: HeldKind[];
  /** Attempts at writing it that failed so far. */
  attempts: number;
  /** The clip this one continues (a presence longer than one clip's limit), null for a first clip. */
  continuesClipId?: string | null;
}

export interface ClipWindow {
  cameraId: string;
  startTs: number;
  endTs: number;
}

interface IntentRow {
  id: string;
  camera_id: string;
  trigger: ClipTrigger;
  event_ts: number;
  start_ts: number;
  end_ts: number;
  correlation_id: string;
  triggers: string;
  hold_kinds: string;
  hold_id: string | null;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  continues_clip_id: string | null;
}

export interface StoredIntent extends PendingClip {
  holdId: string | null;
  status: IntentRow['status'];
  lastError: string | null;
  nextAttemptAt: number | null;
}

const toIntent = (r: IntentRow): StoredIntent => ({
  clipId: r.id,
  cameraId: r.camera_id,
  trigger: r.trigger,
  eventTs: r.event_ts,
  correlationId: r.correlation_id,
  startTs: r.start_ts,
  endTs: r.end_ts,
  triggers: JSON.parse(r.triggers) as IntentTrigger[],
  holdKinds: JSON.parse(r.hold_kinds) as HeldKind[],
  attempts: r.attempts,
  continuesClipId: r.continues_clip_id ?? null,
  holdId: r.hold_id,
  status: r.status,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
});

const holdKindOf = (kinds: HeldKind[]): HoldKind => (kinds.every((k) => k === 'smartwater') ? 'smartwater' : 'alarm');

export class ClipIntentStore {
  constructor(
    private readonly db: Database,
    private readonly footage: FootageStore,
    private readonly now: () => number,
  ) {}

  /** Insert or widen an intent, and make or widen its evidence hold, in one transaction. */
  async save(c: PendingClip): Promise<{ holdId: string | null; newHold: boolean }> {
    return this.db.transaction(async () => {
      const now = this.now();
      const existing = await this.db.get<{ hold_id: string | null }>('SELECT hold_id FROM recorder_clip_intents WHERE id = ?', [c.clipId]);
      let holdId = existing?.hold_id ?? null;
      let newHold = false;
      if (c.holdKinds.length > 0) {
        if (holdId) await this.footage.setHoldWindow(holdId, c.startTs, c.endTs);
        else {
          const hold = await this.footage.addHold({
            kind: holdKindOf(c.holdKinds),
            reason: `held by default: ${c.holdKinds.join(', ')}`,
            cameraId: c.cameraId,
            fromTs: c.startTs,
            toTs: c.endTs,
            refId: c.clipId,
          });
          holdId = hold.id;
          newHold = true;
        }
      }
      await this.db.run(
        `INSERT INTO recorder_clip_intents (id, camera_id, trigger, event_ts, start_ts, end_ts, correlation_id, triggers, hold_kinds, hold_id,
           status, attempts, created_at, updated_at, continues_clip_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET start_ts = excluded.start_ts, end_ts = excluded.end_ts, triggers = excluded.triggers,
           hold_kinds = excluded.hold_kinds, hold_id = excluded.hold_id, updated_at = excluded.updated_at`,
        [
          c.clipId,
          c.cameraId,
          c.trigger,
          c.eventTs,
          c.startTs,
          c.endTs,
          c.correlationId,
          JSON.stringify(c.triggers),
          JSON.stringify(c.holdKinds),
          holdId,
          now,
          now,
          c.continuesClipId ?? null,
        ],
      );
      return { holdId, newHold };
    });
  }

  async get(clipId: string): Promise<StoredIntent | undefined> {
    const r = await this.db.get<IntentRow>('SELECT * FROM recorder_clip_intents WHERE id = ?', [clipId]);
    return r ? toIntent(r) : undefined;
  }

  /** Intents not yet written (including those waiting for a retry), oldest first. */
  async pending(): Promise<StoredIntent[]> {
    const rows = await this.db.all<IntentRow>("SELECT * FROM recorder_clip_intents WHERE status = 'pending' ORDER BY start_ts");
    return rows.map(toIntent);
  }

  async list(filter: { status?: IntentRow['status']; limit?: number } = {}): Promise<StoredIntent[]> {
    const rows = filter.status
      ? await this.db.all<IntentRow>('SELECT * FROM recorder_clip_intents WHERE status = ? ORDER BY start_ts LIMIT ?', [
          filter.status,
          filter.limit ?? 10_000,
        ])
      : await this.db.all<IntentRow>('SELECT * FROM recorder_clip_intents ORDER BY start_ts LIMIT ?', [filter.limit ?? 10_000]);
    return rows.map(toIntent);
  }

  /** Windows whose segments must stay on disk. */
  async windows(): Promise<ClipWindow[]> {
    return this.db.all<ClipWindow>(
      "SELECT camera_id AS cameraId, start_ts AS startTs, end_ts AS endTs FROM recorder_clip_intents WHERE status = 'pending'",
    );
  }

  async markDone(clipId: string): Promise<void> {
    await this.db.run(
      "UPDATE recorder_clip_intents SET status = 'done', last_error = NULL, next_attempt_at = NULL, updated_at = ? WHERE id = ?",
      [this.now(), clipId],
    );
  }

  /** A failed attempt: `nextAttemptAt` null means it is given up (status failed, with the reason). */
  async markFailed(clipId: string, reason: string, attempts: number, nextAttemptAt: number | null): Promise<void> {
    await this.db.run(
      'UPDATE recorder_clip_intents SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?',
      [nextAttemptAt === null ? 'failed' : 'pending', attempts, reason, nextAttemptAt, this.now(), clipId],
    );
  }

  /** The owner's choice of kinds held by default (every kind until they choose). */
  async heldKinds(): Promise<HeldKind[]> {
    const r = await this.db.get<{ value: string }>("SELECT value FROM recorder_settings WHERE key = 'heldKinds'");
    return r ? (JSON.parse(r.value) as HeldKind[]) : [...HELD_KINDS];
  }

  async setHeldKinds(kinds: HeldKind[], userId: string): Promise<void> {
    await this.db.run(
      `INSERT INTO recorder_settings (key, value, updated_at, updated_by) VALUES ('heldKinds', ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [JSON.stringify(kinds), this.now(), userId],
    );
  }
}
