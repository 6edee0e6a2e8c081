/** Police footage requests as stored: one row per request, its decision, and the clips approved. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../storage/database.js';

export type RequestStatus = 'pending' | 'approved' | 'partial' | 'refused';

export interface RequestInput {
  force: string;
  officerName: string;
  officerId: string;
  crimeReference: string;
  offence: string;
  fromTs: number;
  toTs: number;
  /** Empty: every camera of the home. */
  cameraIds: string[];
  reason: string;
}

export interface PoliceRequest extends RequestInput {
  id: string;
  policeUserId: string;
  status: RequestStatus;
  /** Set for a partial approval: the clips the owner chose. */
  approvedClipIds: string[] | null;
  decisionNote: string | null;
  decidedBy: string | null;
  decidedAt: number | null;
  createdAt: number;
}

interface RequestRow {
  id: string;
  police_user_id: string;
  force: string;
  officer_name: string;
  officer_id: string;
  crime_reference: string;
  offence: string;
  from_ts: number;
  to_ts: number;
  camera_ids: string;
  reason: string;
  status: RequestStatus;
  approved_clip_ids: string | null;
  decision_note: string | null;
  decided_by: string | null;
  decided_at: number | null;
  created_at: number;
}

const toRequest = (r: RequestRow): PoliceRequest => ({
  id: r.id,
  policeUserId: r.police_user_id,
  force: r.force,
  officerName: r.officer_name,
  officerId: r.officer_id,
  crimeReference: r.crime_reference,
  offence: r.offence,
  fromTs: r.from_ts,
  toTs: r.to_ts,
  cameraIds: JSON.parse(r.camera_ids) as string[],
  reason: r.reason,
  status: r.status,
  approvedClipIds: r.approved_clip_ids === null ? null : (JSON.parse(r.approved_clip_ids) as string[]),
  decisionNote: r.decision_note,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  createdAt: r.created_at,
});

export class RequestStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  async create(policeUserId: string, input: RequestInput): Promise<PoliceRequest> {
    const id = randomUUID();
    const createdAt = this.now();
    await this.db.run(
      `INSERT INTO police_requests (id, police_user_id, force, officer_name, officer_id, crime_reference, offence, from_ts, to_ts, camera_ids, reason, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      [
        id,
        policeUserId,
        input.force,
        input.officerName,
        input.officerId,
        input.crimeReference,
        input.offence,
        input.fromTs,
        input.toTs,
        JSON.stringify(input.cameraIds),
        input.reason,
        createdAt,
      ],
    );
    return {
      ...input,
      id,
      policeUserId,
      status: 'pending',
      approvedClipIds: null,
      decisionNote: null,
      decidedBy: null,
      decidedAt: null,
      createdAt,
    };
  }

  async get(id: string): Promise<PoliceRequest | undefined> {
    const r = await this.db.get<RequestRow>('SELECT * FROM police_requests WHERE id = ?', [id]);
    return r ? toRequest(r) : undefined;
  }

  /** Newest first; `policeUserId` limits to one officer's own requests. */
  async list(policeUserId?: string): Promise<PoliceRequest[]> {
    const rows =
      policeUserId === undefined
        ? await this.db.all<RequestRow>('SELECT * FROM police_requests ORDER BY created_at DESC')
        : await this.db.all<RequestRow>('SELECT * FROM police_requests WHERE police_user_id = ? ORDER BY created_at DESC', [policeUserId]);
    return rows.map(toRequest);
  }

  /** Records the decision once: returns false when the request was already decided. */
  async decide(
    id: string,
    d: { status: Exclude<RequestStatus, 'pending'>; clipIds: string[] | null; note: string | null; by: string },
  ): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE police_requests SET status = ?, approved_clip_ids = ?, decision_note = ?, decided_by = ?, decided_at = ?
       WHERE id = ? AND status = 'pending'`,
      [d.status, d.clipIds === null ? null : JSON.stringify(d.clipIds), d.note, d.by, this.now(), id],
    );
    return r.changes === 1;
  }
}
