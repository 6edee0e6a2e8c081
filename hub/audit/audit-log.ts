/**
 * The audit log: append-only and hash-chained. Each entry's hash covers the previous entry's hash
 * and its own canonical content, so removing, editing or reordering any entry breaks the chain
 * from that point on. Nothing in the hub updates or deletes a row (a trigger refuses it too).
 */
import { createHash } from 'node:crypto';
import type { Database } from '../storage/database.js';
import { SerialQueue } from '../storage/serial-queue.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  ts: number;
  action: string;
  actor: string | null;
  subject: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditAppend {
  action: string;
  /** A user id, `system`, or a plugin id. */
  actor: string | null;
  subject?: Record<string, unknown>;
}

/** The canonical text an entry's hash covers (stable key order). */
export function canonicalEntry(e: Omit<AuditEntry, 'hash'>): string {
  return canonicalJson({
    seq: e.seq,
    ts: e.ts,
    action: e.action,
    actor: e.actor,
    subject: e.subject,
    prevHash: e.prevHash,
  });
}

export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalEntry(e)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** Walk entries in order; returns the first broken link or null when the chain holds. */
export function verifyChain(entries: AuditEntry[], startPrev = GENESIS_HASH): { seq: number; problem: string } | null {
  let prev = startPrev;
  let expectedSeq = entries[0]?.seq ?? 1;
  for (const e of entries) {
    if (e.seq !== expectedSeq)
      return {
        seq: e.seq,
        problem: `sequence gap: expected entry ${expectedSeq}, found ${e.seq}`,
      };
    if (e.prevHash !== prev)
      return {
        seq: e.seq,
        problem: `entry ${e.seq} does not link to the entry before it`,
      };
    if (entryHash(e) !== e.hash)
      return {
        seq: e.seq,
        problem: `entry ${e.seq} was altered (its hash does not match its content)`,
      };
    prev = e.hash;
    expectedSeq++;
  }
  return null;
}

export class AuditLog {
  private readonly queue = new SerialQueue();

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends are serialised so the chain never forks. */
  append(entry: AuditAppend): Promise<AuditEntry> {
    return this.queue.run(async () => {
      const last = await this.db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
      const e: Omit<AuditEntry, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        ts: this.now(),
        action: entry.action,
        actor: entry.actor,
        subject: entry.subject ?? {},
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const hash = entryHash(e);
      await this.db.run('INSERT INTO audit_log (seq, ts, action, actor, subject, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        e.seq,
        e.ts,
        e.action,
        e.actor,
        canonicalJson(e.subject),
        e.prevHash,
        hash,
      ]);
      return { ...e, hash };
    });
  }

  async entries(filter: { fromSeq?: number; toSeq?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    const rows = await this.db.all<{
      seq: number;
      ts: number;
      action: string;
      actor: string | null;
      subject: string;
      prev_hash: string;
      hash: string;
    }>('SELECT * FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?', [
      filter.fromSeq ?? 1,
      filter.toSeq ?? Number.MAX_SAFE_INTEGER,
      filter.limit ?? 1_000_000,
    ]);
    return rows.map((r) => ({
      seq: r.seq,
      ts: r.ts,
      action: r.action,
      actor: r.actor,
      subject: JSON.parse(r.subject) as Record<string, unknown>,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  /**
   * Entries whose subject has any of the given key/value pairs (e.g. `requestId`, `clipId`), in
   * order. Subjects are stored as canonical JSON, so SQLite's json_extract reads them exactly.
   */
  async related(pairs: Array<[key: string, value: string]>): Promise<AuditEntry[]> {
    if (pairs.length === 0) return [];
    const out = new Map<number, AuditEntry>();
    // Chunked so a package of many clips stays under SQLite's bound-parameter limit.
    for (let i = 0; i < pairs.length; i += 200) {
      const chunk = pairs.slice(i, i + 200);
      const where = chunk.map(() => 'json_extract(subject, ?) = ?').join(' OR ');
      const params = chunk.flatMap(([k, v]) => [`$.${k}`, v]);
      const rows = await this.db.all<{ seq: number }>(`SELECT seq FROM audit_log WHERE ${where}`, params);
      for (const r of rows) {
        const [e] = await this.entries({ fromSeq: r.seq, toSeq: r.seq });
        if (e) out.set(e.seq, e);
      }
    }
    return [...out.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The newest entry's sequence number and hash, or null for an empty log. */
  async head(): Promise<{ seq: number; hash: string } | null> {
    return (await this.db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')) ?? null;
  }

  async verify(): Promise<{ ok: true; count: number } | { ok: false; seq: number; problem: string }> {
    const all = await this.entries();
    const broken = verifyChain(all);
    return broken ? { ok: false, ...broken } : { ok: true, count: all.length };
  }
}
