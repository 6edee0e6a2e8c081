/**
 * Backups of what makes this hub *this* hub: the database (accounts, consent history, the audit
 * chain, devices, settings), the config file, the hub's signing identity, its TLS authority and
 * the plugins' own state. Footage is not in it (it is large, and a backup must fit on a USB stick
 * or a download).
 *
 * Format: an age file (age-encryption.org/v1) with an scrypt recipient, i.e. encrypted to a
 * passphrase, wrapping a zip whose `manifest.json` lists every other file with its SHA-256.
 * Why age: a small, well-specified format with independent implementations (`age -d` opens a
 * backup with no Sanctuary code at all), authenticated encryption (a wrong passphrase or a
 * changed byte fails before anything is written), and the same format footage encryption will use.
 *
 * The database copy is `VACUUM INTO`: one consistent snapshot through SQLite itself, safe while
 * the hub is running and writing (a file copy of a WAL database may catch it half-written).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Decrypter, Encrypter } from 'age-encryption';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { HubError } from '../api/errors.js';
import { Database } from '../storage/database.js';

export const BACKUP_FORMAT = 'sanctuary-backup/1';
/** Folders of the data folder that go into a backup (keys and small state; never footage). */
export const BACKED_UP_DIRS = ['identity', 'tls', 'plugins', 'keys'] as const;
export const CONFIG_NAME = 'sanctuary.yaml';
export const DATABASE_NAME = 'sanctuary.db';

export interface BackupFileEntry {
  path: string;
  sha256: string;
  size: number;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  hubVersion: string;
  /** The hub's identity fingerprint, when it had one (so a restore can say which hub it is). */
  fingerprint: string | null;
  schemaVersions: number[];
  files: BackupFileEntry[];
}

export interface BackupOptions {
  dataDir: string;
  /** The running hub's connection (the route); null opens the file (the CLI, hub running or not). */
  db?: Database | null;
  /** A config file outside the data folder to include as sanctuary.yaml. */
  configPath?: string | null;
  hubVersion: string;
  fingerprint?: string | null;
  /** scrypt work factor (log2 N); age's default 18 (256 MiB, about a second). Lower only in tests. */
  scryptLogN?: number;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A consistent copy of the database (in a temp file, read into memory) and its schema versions. */
async function snapshotDatabase(dataDir: string, db: Database | null): Promise<{ bytes: Buffer; versions: number[] }> {
  const tmp = await mkdtemp(join(dataDir, '.backup-'));
  const target = join(tmp, DATABASE_NAME);
  const own = db ? null : await Database.open(join(dataDir, DATABASE_NAME));
  const conn = (db ?? own) as Database;
  try {
    await conn.run('VACUUM INTO ?', [target]);
    const rows = await conn.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    return { bytes: await readFile(target), versions: rows.map((r) => r.version) };
  } catch (err) {
    throw new HubError('HUB_ERR_DATABASE', 'could not take a consistent copy of the database', { cause: err });
  } finally {
    await own?.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

function zipBuffers(files: Array<[string, Buffer]>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, buf] of files) zip.addBuffer(buf, name, { mtime: new Date(0), mode: 0o100600 });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

function unzipBuffers(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('not a zip'));
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e2, stream) => {
          if (e2 || !stream) return reject(e2 ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Builds the encrypted backup in memory: the age file's bytes and what is in it. */
export async function createBackup(passphrase: string, o: BackupOptions): Promise<{ bytes: Uint8Array; manifest: BackupManifest }> {
  if (passphrase.length < 12) throw new HubError('HUB_ERR_VALIDATION', 'a backup passphrase needs at least 12 characters');
  if (!existsSync(join(o.dataDir, DATABASE_NAME))) {
    throw new HubError('HUB_ERR_VALIDATION', `no hub database in ${o.dataDir}: nothing to back up`);
  }
  const snap = await snapshotDatabase(o.dataDir, o.db ?? null);
  const files: Array<[string, Buffer]> = [[`database/${DATABASE_NAME}`, snap.bytes]];
  const configPath = o.configPath ?? join(o.dataDir, CONFIG_NAME);
  if (existsSync(configPath)) files.push([`config/${CONFIG_NAME}`, await readFile(configPath)]);
  for (const d of BACKED_UP_DIRS) {
    const dir = join(o.dataDir, d);
    if (!existsSync(dir)) continue;
    for (const f of await walk(dir)) files.push([`data/${relative(o.dataDir, f).split(sep).join('/')}`, await readFile(f)]);
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdAt: new Date().toISOString(),
    hubVersion: o.hubVersion,
    fingerprint: o.fingerprint ?? null,
    schemaVersions: snap.versions,
    files: files.map(([path, b]) => ({ path, sha256: sha256(b), size: b.length })),
  };
  const zip = await zipBuffers([['manifest.json', Buffer.from(JSON.stringify(manifest, null, 2))], ...files]);
  const e = new Encrypter();
  e.setPassphrase(passphrase);
  if (o.scryptLogN) e.setScryptWorkFactor(o.scryptLogN);
  return { bytes: await e.encrypt(zip), manifest };
}

/** Decrypts and checks a backup; nothing is written. A wrong passphrase or a changed byte throws. */
export async function openBackup(bytes: Uint8Array, passphrase: string): Promise<{ manifest: BackupManifest; files: Map<string, Buffer> }> {
  const d = new Decrypter();
  d.addPassphrase(passphrase);
  let zip: Uint8Array;
  try {
    zip = await d.decrypt(bytes, 'uint8array');
  } catch (err) {
    throw new HubError('HUB_ERR_BACKUP', 'cannot decrypt the backup: wrong passphrase, or not a Sanctuary backup', { cause: err });
  }
  const entries = await unzipBuffers(Buffer.from(zip));
  const raw = entries.get('manifest.json');
  if (!raw) throw new HubError('HUB_ERR_BACKUP', 'the backup has no manifest.json');
  const manifest = JSON.parse(raw.toString('utf8')) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT) throw new HubError('HUB_ERR_BACKUP', `unknown backup format "${String(manifest.format)}"`);
  const files = new Map<string, Buffer>();
  for (const f of manifest.files) {
    if (!/^(database|config|data)\/[A-Za-z0-9._/-]+$/.test(f.path) || f.path.split('/').includes('..')) {
      throw new HubError('HUB_ERR_BACKUP', `the backup names an unsafe path: ${f.path}`);
    }
    const b = entries.get(f.path);
    if (!b) throw new HubError('HUB_ERR_BACKUP', `${f.path}: listed in the manifest but missing`);
    if (sha256(b) !== f.sha256) throw new HubError('HUB_ERR_BACKUP', `${f.path}: SHA-256 mismatch`);
    files.set(f.path, b);
  }
  if (!files.has(`database/${DATABASE_NAME}`)) throw new HubError('HUB_ERR_BACKUP', 'the backup has no database');
  return { manifest, files };
}

/** Where a backup entry goes in the data folder. */
export function restoreTarget(dataDir: string, entryPath: string): string {
  if (entryPath === `database/${DATABASE_NAME}`) return join(dataDir, DATABASE_NAME);
  if (entryPath === `config/${CONFIG_NAME}`) return join(dataDir, CONFIG_NAME);
  return join(dataDir, ...entryPath.slice('data/'.length).split('/'));
}

/** True when the folder holds no hub (no database, no identity): restore refuses anything else. */
export async function isEmptyDataDir(dataDir: string): Promise<boolean> {
  if (!existsSync(dataDir)) return true;
  if (!(await stat(dataDir)).isDirectory()) return false;
  return !existsSync(join(dataDir, DATABASE_NAME)) && !existsSync(join(dataDir, 'identity'));
}
