/**
 * Restore a backup (hub/appliance/backup) into an empty data folder: decrypt and check every
 * file first, write them into a staging folder, then move them into place, so a wrong passphrase,
 * a damaged file or a full disk leaves the folder as it was. Afterwards the audit chain is walked
 * and the restore itself is appended to it, and the segment index is told that the footage was
 * not in the backup (evidence exports then name the gap with that reason).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { HubError } from '../api/errors.js';
import { AuditLog } from '../audit/audit-log.js';
import { Database } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';
import { type BackupManifest, DATABASE_NAME, isEmptyDataDir, openBackup, restoreTarget } from './backup.js';

export interface RestoreResult {
  manifest: BackupManifest;
  files: number;
  audit: { ok: true; count: number } | { ok: false; seq: number; problem: string };
}

export async function restoreBackup(bytes: Uint8Array, passphrase: string, dataDir: string, now = Date.now): Promise<RestoreResult> {
  if (!(await isEmptyDataDir(dataDir))) {
    throw new HubError('HUB_ERR_BACKUP', `${dataDir} already holds a hub (database or identity): restore only into an empty data folder`);
  }
  const { manifest, files } = await openBackup(bytes, passphrase);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(dataDir, '.restore-'));
  try {
    for (const [path, b] of files) {
      const p = join(staging, relative(dataDir, restoreTarget(dataDir, path)));
      await mkdir(dirname(p), { recursive: true, mode: 0o700 });
      await writeFile(p, b, { mode: 0o600 });
    }
    // Keys stay owner-only (the hub refuses nothing, but a loosened key would be wrong).
    await chmod(staging, 0o700);
    const { readdir } = await import('node:fs/promises');
    for (const name of await readdir(staging)) await rename(join(staging, name), join(dataDir, name));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const db = await Database.open(join(dataDir, DATABASE_NAME));
  try {
    // The restored copy may be older than this release: bring it forward like any start would.
    await migrate(db);
    await db.run(
      "UPDATE recorder_segments SET deleted_at = ?, delete_reason = 'not in the backup this hub was restored from' WHERE deleted_at IS NULL",
      [now()],
    );
    // The backup it came from is a backup of this hub: health need not ask for one at once.
    await db.run('INSERT INTO appliance_backups (created_at, via, actor, sha256, size) VALUES (?, ?, NULL, ?, ?)', [
      Date.parse(manifest.createdAt) || now(),
      'restored from',
      createHash('sha256').update(bytes).digest('hex'),
      bytes.length,
    ]);
    const audit = new AuditLog(db, now);
    const verdict = await audit.verify();
    await audit.append({
      action: 'backup.restored',
      actor: 'system',
      subject: { backupCreatedAt: manifest.createdAt, fingerprint: manifest.fingerprint, files: files.size, chainOk: verdict.ok },
    });
    return { manifest, files: files.size, audit: verdict };
  } finally {
    await db.close();
  }
}
