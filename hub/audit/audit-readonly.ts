/**
 * Reads a hub's audit log straight from its database file, opened read-only, so the chain can be
 * re-walked on a copy of the SD card or while no hub is running. Nothing here can write.
 */
import { access } from 'node:fs/promises';
import { HubError } from '../api/errors.js';
import { Database } from '../storage/database.js';
import type { AuditEntry } from './audit-log.js';
import { verifyChain } from './audit-log.js';

interface AuditRow {
  seq: number;
  ts: number;
  action: string;
  actor: string | null;
  subject: string;
  prev_hash: string;
  hash: string;
}

export type AuditVerdict =
  | { ok: true; count: number; headHash: string | null }
  | { ok: false; count: number; seq: number; problem: string };

export async function readAuditLogReadOnly(dbPath: string): Promise<AuditEntry[]> {
  try {
    await access(dbPath);
  } catch (err) {
    throw new HubError('HUB_ERR_VERIFY', `no hub database at ${dbPath}`, { cause: err });
  }
  const db = await Database.open(dbPath, { readOnly: true }).catch((err: unknown) => {
    throw new HubError('HUB_ERR_VERIFY', `cannot open ${dbPath} read-only`, { cause: err });
  });
  try {
    const rows = await db
      .all<AuditRow>('SELECT seq, ts, action, actor, subject, prev_hash, hash FROM audit_log ORDER BY seq')
      .catch((err: unknown) => {
        throw new HubError('HUB_ERR_VERIFY', `cannot read the audit log in ${dbPath}: ${(err as Error).message}`, { cause: err });
      });
    return rows.map((r) => {
      let subject: Record<string, unknown>;
      try {
        subject = JSON.parse(r.subject) as Record<string, unknown>;
      } catch {
        // Unparseable content is itself tampering: keep the raw text so the hash check names it.
        subject = { unparseable: r.subject };
      }
      return { seq: r.seq, ts: r.ts, action: r.action, actor: r.actor, subject, prevHash: r.prev_hash, hash: r.hash };
    });
  } finally {
    await db.close();
  }
}

export async function verifyAuditDatabase(dbPath: string): Promise<AuditVerdict> {
  const entries = await readAuditLogReadOnly(dbPath);
  const broken = verifyChain(entries);
  if (broken) return { ok: false, count: entries.length, ...broken };
  return { ok: true, count: entries.length, headHash: entries.at(-1)?.hash ?? null };
}
