/**
 * `sanctuary backup` and `sanctuary restore` (hub/appliance/backup, restore). The passphrase never
 * goes on the command line (other users can read it in `ps`): it comes from --passphrase-file,
 * $SANCTUARY_BACKUP_PASSPHRASE, or is typed at the prompt.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { describeError } from '../api/errors.js';
import { createBackup } from '../appliance/backup.js';
import { restoreBackup } from '../appliance/restore.js';
import { publicKeyFingerprint } from '../identity/hub-identity.js';
import { Database } from '../storage/database.js';
import { ifMissing } from '../storage/if-missing.js';
import { HUB_VERSION } from '../version.js';

async function passphrase(file: string | undefined, confirm: boolean): Promise<string> {
  if (file) return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  const env = process.env.SANCTUARY_BACKUP_PASSPHRASE;
  if (env) return env;
  if (!process.stdin.isTTY) throw new Error('no passphrase: use --passphrase-file FILE or $SANCTUARY_BACKUP_PASSPHRASE');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const a = await rl.question('Backup passphrase (at least 12 characters): ');
    if (confirm && (await rl.question('Again: ')) !== a) throw new Error('the two passphrases differ');
    return a;
  } finally {
    rl.close();
  }
}

/** The hub's fingerprint; null for a data folder that has no identity yet (an unreadable key is an error). */
async function fingerprintOf(dataDir: string): Promise<string | null> {
  const pem = await ifMissing(readFile(resolve(dataDir, 'identity', 'hub-ed25519.pub.pem'), 'utf8'), null);
  return pem === null ? null : publicKeyFingerprint(pem);
}

export async function runBackup(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string', short: 'd' },
        config: { type: 'string', short: 'c' },
        out: { type: 'string', short: 'o' },
        'passphrase-file': { type: 'string' },
      },
      strict: true,
    });
    const dataDir = resolve(values['data-dir'] ?? process.env.SANCTUARY_DATA_DIR ?? 'data');
    const out = resolve(values.out ?? `sanctuary-backup-${new Date().toISOString().slice(0, 10)}.age`);
    const pass = await passphrase(values['passphrase-file'], true);
    const { bytes, manifest } = await createBackup(pass, {
      dataDir,
      configPath: values.config ?? null,
      hubVersion: HUB_VERSION,
      fingerprint: await fingerprintOf(dataDir),
    });
    await writeFile(out, bytes, { mode: 0o600 });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Recorded for the health reminder; not audited from here: a second process appending to the
    // chain while the hub runs could race it. The owner's download from Settings is audited.
    const db = await Database.open(resolve(dataDir, 'sanctuary.db'));
    try {
      await db.run('INSERT INTO appliance_backups (created_at, via, actor, sha256, size) VALUES (?, ?, ?, ?, ?)', [
        Date.now(),
        'cli',
        null,
        sha256,
        bytes.length,
      ]);
    } finally {
      await db.close();
    }
    process.stdout.write(
      `backup written: ${out}\n  ${manifest.files.length} files, ${bytes.length} bytes, SHA-256 ${sha256}\n  hub fingerprint ${manifest.fingerprint ?? 'unknown'}\n  footage is not in a backup\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`sanctuary backup: ${describeError(err)}\n`);
    return 1;
  }
}

export async function runRestore(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string', short: 'd' }, 'passphrase-file': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const file = positionals[0];
    if (!file) throw new Error('usage: sanctuary restore <backup.age> [--data-dir DIR] [--passphrase-file FILE]');
    const dataDir = resolve(values['data-dir'] ?? process.env.SANCTUARY_DATA_DIR ?? 'data');
    const r = await restoreBackup(await readFile(file), await passphrase(values['passphrase-file'], false), dataDir);
    process.stdout.write(
      `restored ${r.files} files into ${dataDir}\n  hub fingerprint ${r.manifest.fingerprint ?? 'unknown'} (backup of ${r.manifest.createdAt})\n  audit chain: ${r.audit.ok ? `verifies (${r.audit.count} entries)` : `BROKEN at entry ${r.audit.seq}: ${r.audit.problem}`}\n  footage was not in the backup\n`,
    );
    return r.audit.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`sanctuary restore: ${describeError(err)}\n`);
    return 1;
  }
}
