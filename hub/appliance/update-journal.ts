/**
 * The updater's journal: `sanctuary update` runs while the hub is stopped or starting, so it
 * writes one JSON file per step into `<data dir>/update-journal/` instead of appending to the
 * audit chain from a second process. The hub imports them (oldest first) into `appliance_updates`
 * and the audit log at start and once a minute, then deletes each file it imported.
 */
import { chown, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../storage/database.js';
import { ifMissing } from '../storage/if-missing.js';

export const JOURNAL_DIR = 'update-journal';

export interface JournalEntry {
  id: string;
  fromVersion: string;
  toVersion: string;
  packageSha256: string;
  startedAt: number;
  finishedAt?: number;
  outcome: 'started' | 'installed' | 'rolled_back' | 'refused';
  detail: string;
}

let seq = 0;

/** The updater runs as root: what it leaves in the data folder must belong to the hub's user. */
export async function ownLikeDataDir(dataDir: string, path: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const s = await stat(dataDir);
  await chown(path, s.uid, s.gid);
}

export async function writeJournal(dataDir: string, e: JournalEntry): Promise<void> {
  const dir = join(dataDir, JOURNAL_DIR);
  await mkdir(dir, { recursive: true });
  await ownLikeDataDir(dataDir, dir);
  const name = `${String(Date.now()).padStart(15, '0')}-${String(seq++).padStart(4, '0')}-${e.outcome}.json`;
  await writeFile(join(dir, `${name}.tmp`), JSON.stringify(e));
  await ownLikeDataDir(dataDir, join(dir, `${name}.tmp`));
  await rename(join(dir, `${name}.tmp`), join(dir, name));
}

/** Imports every finished journal file; returns how many. */
export async function importJournal(dataDir: string, db: Database, audit: AuditLog): Promise<number> {
  const dir = join(dataDir, JOURNAL_DIR);
  const all = await ifMissing(readdir(dir), null);
  if (all === null) return 0;
  const names = all.filter((n) => n.endsWith('.json')).sort();
  for (const name of names) {
    const e = JSON.parse(await readFile(join(dir, name), 'utf8')) as JournalEntry;
    let fresh = true;
    await db.transaction(async () => {
      const have = await db.get<{ id: number }>('SELECT id FROM appliance_updates WHERE package_sha256 = ? AND started_at = ?', [
        e.packageSha256,
        e.startedAt,
      ]);
      if (have && e.outcome === 'started') {
        // The updater journals `started` again after a rollback; this database already has it.
        fresh = false;
      } else if (have) {
        await db.run('UPDATE appliance_updates SET outcome = ?, detail = ?, finished_at = ? WHERE id = ?', [
          e.outcome,
          e.detail,
          e.finishedAt ?? null,
          have.id,
        ]);
      } else {
        await db.run(
          'INSERT INTO appliance_updates (started_at, finished_at, from_version, to_version, package_sha256, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [e.startedAt, e.finishedAt ?? null, e.fromVersion, e.toVersion, e.packageSha256, e.outcome, e.detail],
        );
      }
    });
    if (fresh)
      await audit.append({
        action: `update.${e.outcome}`,
        actor: 'updater',
        subject: { fromVersion: e.fromVersion, toVersion: e.toVersion, packageSha256: e.packageSha256, detail: e.detail },
      });
    await rm(join(dir, name), { force: true });
  }
  return names.length;
}
