/**
 * custody.json: the part of the hub's audit chain that concerns one evidence package. It is the
 * contiguous run of entries from the first one about this evidence to the export itself, so a
 * verifier can re-check every link; entries about anything else in that run are redacted to
 * their sequence number and hashes (the links still check, their content stays private).
 */
import { type AuditEntry, entryHash } from '../audit/audit-log.js';

export const CUSTODY_FORMAT = 'sanctuary-custody/1';

export interface RedactedEntry {
  seq: number;
  redacted: true;
  prevHash: string;
  hash: string;
}

export type CustodyEntry = (AuditEntry & { redacted?: false }) | RedactedEntry;

export interface CustodyDocument {
  format: typeof CUSTODY_FORMAT;
  /** How each entry's hash is made, so an independent person can repeat it. */
  hashRule: string;
  fromSeq: number;
  toSeq: number;
  entries: CustodyEntry[];
}

export const HASH_RULE =
  'hash = SHA-256 (hex) of the canonical JSON of {action, actor, prevHash, seq, subject, ts}: keys sorted, no spaces, ' +
  'undefined keys left out; prevHash = the hash of the entry before (64 zeros for the first entry of the log). ' +
  'Redacted entries are about other matters: only their links are given.';

/** Builds the document from the run of entries `range` (contiguous) and the seqs that concern this evidence. */
export function buildCustody(range: AuditEntry[], relevant: Set<number>): CustodyDocument {
  return {
    format: CUSTODY_FORMAT,
    hashRule: HASH_RULE,
    fromSeq: range[0]?.seq ?? 0,
    toSeq: range.at(-1)?.seq ?? 0,
    entries: range.map((e) => (relevant.has(e.seq) ? e : { seq: e.seq, redacted: true, prevHash: e.prevHash, hash: e.hash })),
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Re-checks the links and hashes. Returns one problem line per fault found, each naming the
 * entry, e.g. "custody.json: entry 12 does not link to the entry before it".
 */
export function verifyCustody(doc: unknown, file = 'custody.json'): string[] {
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as CustodyDocument).entries)) {
    return [`${file}: not a custody document (no "entries" list)`];
  }
  const entries = (doc as CustodyDocument).entries;
  if (entries.length === 0) return [`${file}: holds no audit entries`];
  let prev: CustodyEntry | null = null;
  for (const [i, e] of entries.entries()) {
    const name = typeof e?.seq === 'number' ? `entry ${e.seq}` : `entry at position ${i + 1}`;
    if (typeof e !== 'object' || e === null || typeof e.seq !== 'number' || typeof e.hash !== 'string' || typeof e.prevHash !== 'string') {
      problems.push(`${file}: ${name} is malformed (needs seq, prevHash and hash)`);
      prev = null;
      continue;
    }
    if (!HEX64.test(e.hash) || !HEX64.test(e.prevHash)) problems.push(`${file}: ${name} has a malformed hash`);
    if (prev !== null) {
      if (e.seq !== prev.seq + 1)
        problems.push(`${file}: ${name} is out of sequence (expected entry ${prev.seq + 1} after entry ${prev.seq})`);
      if (e.prevHash !== prev.hash) problems.push(`${file}: ${name} does not link to the entry before it`);
    }
    if (e.redacted !== true) {
      const full = e as AuditEntry;
      if (typeof full.action !== 'string' || typeof full.ts !== 'number' || typeof full.subject !== 'object') {
        problems.push(`${file}: ${name} is missing its content (action, ts, actor, subject)`);
      } else if (entryHash(full) !== full.hash) {
        problems.push(`${file}: ${name} was altered (its hash does not match its content)`);
      }
    }
    prev = e;
  }
  const d = doc as CustodyDocument;
  if (d.fromSeq !== entries[0]?.seq || d.toSeq !== entries.at(-1)?.seq) {
    problems.push(`${file}: the entries do not run from entry ${d.fromSeq} to entry ${d.toSeq} as the document states`);
  }
  return problems;
}
