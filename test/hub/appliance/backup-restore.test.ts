/**
 * Backup and restore of a real hub: the owner downloads a backup from the API (password step-up,
 * audited), the data folder is wiped, `sanctuary restore` brings back the same fingerprint,
 * accounts, consent history and an audit chain that verifies; footage is not in the backup; a
 * wrong passphrase restores nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupStatusView } from '../../../hub/api/appliance.js';
import { openBackup } from '../../../hub/appliance/backup.js';
import { restoreBackup } from '../../../hub/appliance/restore.js';
import { runBackup, runRestore } from '../../../hub/cli/backup.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';

const PASSPHRASE = 'purple elephant under the stairs';

interface AuditEntry {
  ts: number;
  action: string;
  actor: string;
  subject: unknown;
}

describe('backup and restore', () => {
  let t: TestHub | null = null;
  let dir = '';
  afterEach(async () => {
    await t?.close();
    t = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('backup, wipe, restore: same hub; a wrong passphrase restores nothing', async () => {
    dir = await tempDir();
    const dataDir = join(dir, 'hub');
    t = await startTestHub({ dataDir });
    const owner = await ownerClient(t.url, t.setupCode);
    expect((await owner.put('/api/consent', { kinds: { panic: 'automatic' } })).status).toBe(200);
    expect((await owner.put('/api/consent', { kinds: { duress: 'automatic' } })).status).toBe(200);
    const identity = (await owner.get<{ fingerprint: string }>('/api/identity')).body;
    const history = (await owner.get<{ versions: unknown[] }>('/api/consent/history')).body.versions;
    expect(history.length).toBeGreaterThanOrEqual(2);
    // Footage that must stay out of the backup.
    await mkdir(join(dataDir, 'segments', 'door'), { recursive: true });
    await writeFile(join(dataDir, 'segments', 'door', 'seg-1.ts'), Buffer.alloc(4096, 7));

    let health = (await owner.get<{ components: Record<string, { status: string; message: string }> }>('/api/health')).body;
    expect(health.components.backup?.message).toContain('no backup of this hub yet');
    // The owner's reminder (Settings and home) says there is none yet.
    expect((await owner.get<BackupStatusView>('/api/backup/status')).body).toEqual({
      lastBackupAt: null,
      via: null,
      remind: true,
      remindAfterDays: 90,
    });

    expect((await owner.postForBytes('/api/backup', { password: 'not my password', passphrase: PASSPHRASE })).status).toBe(401);
    const short = await owner.postForBytes('/api/backup', { password: OWNER.password, passphrase: 'short' });
    expect(short.status).toBe(400);
    expect(short.bytes.toString()).toContain('at least 12 characters');

    const askedAt = Date.now();
    const dl = await owner.postForBytes('/api/backup', { password: OWNER.password, passphrase: PASSPHRASE });
    expect(dl.status).toBe(200);
    const status = (await owner.get<BackupStatusView>('/api/backup/status')).body;
    expect(status).toMatchObject({ via: 'download', remind: false });
    expect(status.lastBackupAt).toBeGreaterThanOrEqual(askedAt);
    expect(status.lastBackupAt).toBeLessThanOrEqual(Date.now());
    expect(dl.headers.get('content-disposition')).toMatch(/^attachment; filename="hub-backup-[0-9a-f]{16}-\d{4}-\d\d-\d\d\.age"$/);
    expect(dl.bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(dl.bytes.includes(Buffer.from('SQLite format 3'))).toBe(false);
    health = (await owner.get<{ components: Record<string, { status: string; message: string }> }>('/api/health')).body;
    expect(health.components.backup?.status).toBe('ok');
    expect(health.components.backup?.message).toMatch(/^last backup .* \(download\)$/);
    const audit = (await owner.get<{ entries: AuditEntry[] }>('/api/audit?limit=1000')).body.entries;
    expect(audit.at(-1)?.action).toBe('backup.downloaded');

    const { manifest } = await openBackup(dl.bytes, PASSPHRASE);
    expect(manifest.fingerprint).toBe(identity.fingerprint);
    expect(manifest.files.map((f) => f.path)).toEqual(
      // The hub key goes into the backup sealed to the owner's key, as it is on the card.
      expect.arrayContaining(['database/sanctuary.db', 'data/identity/hub-ed25519.key.age', 'data/identity/hub-ed25519.pub.pem']),
    );
    expect(manifest.files.some((f) => f.path.includes('segments'))).toBe(false);
    expect(manifest.schemaVersions).toContain(650);

    await t.close();
    t = null;
    await rm(dataDir, { recursive: true, force: true });

    // A wrong passphrase: an error naming it, and not one file written.
    await expect(restoreBackup(dl.bytes, 'purple elephant under the chair', dataDir)).rejects.toThrow(/wrong passphrase/);
    expect(existsSync(dataDir)).toBe(false);

    const file = join(dir, 'backup.age');
    await writeFile(file, dl.bytes);
    const passFile = join(dir, 'pass.txt');
    await writeFile(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    expect(await runRestore([file, '--data-dir', dataDir, '--passphrase-file', passFile])).toBe(0);
    expect(await readdir(dataDir)).not.toContain('segments');
    // Restoring over a hub is refused.
    expect(await runRestore([file, '--data-dir', dataDir, '--passphrase-file', passFile])).toBe(1);

    t = await startTestHub({ dataDir });
    expect(t.setupCode).toBeNull();
    const again = new ApiClient(t.url);
    expect((await again.login(OWNER.username, OWNER.password)).status).toBe(200);
    expect((await again.get<{ fingerprint: string }>('/api/identity')).body.fingerprint).toBe(identity.fingerprint);
    expect((await again.get<{ versions: unknown[] }>('/api/consent/history')).body.versions).toEqual(history);
    const verdict = (await again.get<{ ok: boolean; count: number }>('/api/audit/verify')).body;
    expect(verdict.ok).toBe(true);
    const after = (await again.get<{ entries: AuditEntry[] }>('/api/audit?limit=1000')).body.entries;
    // The whole history up to the snapshot comes back, in order; the snapshot was taken before
    // its own download was audited, so the next entry is the restore itself.
    expect(after.slice(0, audit.length - 1)).toEqual(audit.slice(0, -1));
    expect(after[audit.length - 1]?.action).toBe('backup.restored');
    health = (await again.get<{ components: Record<string, { status: string; message: string }> }>('/api/health')).body;
    expect(health.components.backup?.message).toMatch(/\(restored from\)$/);
  });

  it('sanctuary backup from the command line, while the hub runs, reads back with its passphrase', async () => {
    dir = await tempDir();
    const dataDir = join(dir, 'hub');
    t = await startTestHub({ dataDir });
    await ownerClient(t.url, t.setupCode);
    const passFile = join(dir, 'pass.txt');
    await writeFile(passFile, PASSPHRASE);
    const out = join(dir, 'cli.age');
    expect(await runBackup(['--data-dir', dataDir, '--out', out, '--passphrase-file', passFile])).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const { manifest, files } = await openBackup(await readFile(out), PASSPHRASE);
    expect(files.get('database/sanctuary.db')?.subarray(0, 15).toString()).toBe('SQLite format 3');
    expect(manifest.files.length).toBe(files.size);
    const row = await t.hub.core.db.get<{ via: string }>('SELECT via FROM appliance_backups');
    expect(row?.via).toBe('cli');
  });
});
