/**
 * `sanctuary update <package>`: install a release beside the running one and switch to it, or
 * switch back by itself.
 *
 * Layout: `<install dir>/releases/<version>-<sha8>/` per release and `<install dir>/current`, a
 * symlink the systemd unit runs (`install-service --app-dir <install dir>/current`).
 * Steps: unpack the package (an `npm pack` tarball, or any .tgz with the release under
 * `package/`) into its own folder; stop the hub; take a consistent copy of the database and run
 * the new release's migrations on the copy (a failing migration stops the update there, the old
 * release starts again untouched); put the migrated copy in place, keeping the original; point
 * `current` at the new release and start it; if its health is not ok within the time limit, stop
 * it, put the original database and the old release back and start that.
 *
 * The updater does not write the audit log itself (a second process appending while the hub runs
 * could race the chain): it writes journal files into `<data dir>/update-journal/`, which the hub
 * turns into audit entries and `appliance_updates` rows (hub/appliance/update-journal).
 * Data the new release wrote during a failed trial (seconds) is not carried back.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { HubError } from '../api/errors.js';
import { Database } from '../storage/database.js';
import { ownLikeDataDir, writeJournal } from './update-journal.js';

const run = promisify(execFile);

export interface ServiceControl {
  stop(): Promise<void>;
  start(): Promise<void>;
  /** True once the hub answers healthy; false (or throwing) means not yet. */
  healthy(): Promise<boolean>;
}

export interface UpdateOptions {
  packagePath: string;
  installDir: string;
  dataDir: string;
  service: ServiceControl;
  healthTimeoutMs: number;
  /**
   * Once healthy, health must stay ok this long before the release is kept: a critical loop
   * that hangs shows only after the liveness limit (20 s), not at the first answer.
   */
  healthSettleMs?: number;
  /** How often health is asked while waiting. */
  pollMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export interface UpdateResult {
  outcome: 'installed' | 'rolled_back' | 'refused';
  fromVersion: string;
  toVersion: string;
  release: string;
  detail: string;
}

const DB = 'sanctuary.db';
const DB_FILES = [DB, `${DB}-wal`, `${DB}-shm`];

async function versionOf(dir: string): Promise<string> {
  const v = (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  if (typeof v !== 'string' || !/^[0-9A-Za-z.+-]{1,64}$/.test(v))
    throw new HubError('HUB_ERR_UPDATE', `${dir}/package.json has no usable version`);
  return v;
}

/** Points `link` at `target` atomically (a new symlink renamed over the old one). */
async function swapLink(link: string, target: string): Promise<void> {
  const tmp = `${link}.new`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link);
}

async function waitHealthy(o: UpdateOptions): Promise<{ ok: boolean; detail: string }> {
  const deadline = (o.now ?? Date.now)() + o.healthTimeoutMs;
  const settle = o.healthSettleMs ?? 0;
  let last = 'no answer';
  let healthySince: number | null = null;
  while ((o.now ?? Date.now)() < deadline || healthySince !== null) {
    let ok = false;
    try {
      ok = await o.service.healthy();
      if (!ok) last = 'health not ok';
    } catch (err) {
      last = (err as Error).message;
    }
    const t = (o.now ?? Date.now)();
    if (ok) {
      healthySince ??= t;
      if (t - healthySince >= settle) return { ok: true, detail: settle ? `healthy for ${Math.round(settle / 1000)} s` : 'healthy' };
    } else if (healthySince !== null) {
      return { ok: false, detail: `healthy at first, then not (${last})` };
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
  return { ok: false, detail: `health not ok within ${Math.round(o.healthTimeoutMs / 1000)} s (${last})` };
}

async function moveDb(fromDir: string, toDir: string, dataDir: string): Promise<void> {
  await mkdir(toDir, { recursive: true });
  for (const f of DB_FILES) {
    if (!existsSync(join(fromDir, f))) continue;
    await rename(join(fromDir, f), join(toDir, f));
    await ownLikeDataDir(dataDir, join(toDir, f));
  }
}

export async function applyUpdate(o: UpdateOptions): Promise<UpdateResult> {
  const say = o.log ?? (() => undefined);
  const now = o.now ?? Date.now;
  const installDir = resolve(o.installDir);
  const releases = join(installDir, 'releases');
  const current = join(installDir, 'current');
  if (!existsSync(current)) throw new HubError('HUB_ERR_UPDATE', `${current} does not exist: install releases under ${releases} first`);
  const oldTarget = await readlink(current);
  const oldDir = resolve(installDir, oldTarget);
  const fromVersion = await versionOf(oldDir);

  const pkg = await readFile(o.packagePath);
  const sha = createHash('sha256').update(pkg).digest('hex');
  await mkdir(releases, { recursive: true });
  const staging = join(releases, `.unpack-${sha.slice(0, 8)}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await run('tar', ['-xzf', resolve(o.packagePath), '-C', staging, '--strip-components=1', '--no-same-owner']);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw new HubError('HUB_ERR_UPDATE', `${basename(o.packagePath)} is not a release package (tar.gz with package/)`, { cause: err });
  }
  const toVersion = await versionOf(staging);
  if (!existsSync(join(staging, 'bin', 'sanctuary.mjs'))) throw new HubError('HUB_ERR_UPDATE', 'the package has no bin/sanctuary.mjs');
  const releaseName = `${toVersion}-${sha.slice(0, 8)}`;
  const newDir = join(releases, releaseName);
  if (resolve(newDir) === oldDir) throw new HubError('HUB_ERR_UPDATE', `${releaseName} is already the running release`);
  await rm(newDir, { recursive: true, force: true });
  await rename(staging, newDir);
  if (!existsSync(join(newDir, 'node_modules')) && existsSync(join(newDir, 'package-lock.json'))) {
    say(`installing dependencies of ${releaseName} (npm ci --omit=dev)`);
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: newDir, maxBuffer: 64 * 1024 * 1024 });
  }
  const id = `${now()}-${sha.slice(0, 8)}`;
  const base = { id, fromVersion, toVersion, packageSha256: sha, startedAt: now() };
  await writeJournal(o.dataDir, { ...base, outcome: 'started', detail: `installing ${releaseName} beside ${basename(oldDir)}` });

  const work = join(o.dataDir, '.update', id);
  const copyDir = join(work, 'migrated');
  const originalDir = join(work, 'original');
  await mkdir(copyDir, { recursive: true });
  say(`stopping the hub (${fromVersion})`);
  await o.service.stop();

  // A consistent copy, then the new release's own migrations on it.
  const live = await Database.open(join(o.dataDir, DB));
  try {
    await live.run('VACUUM INTO ?', [join(copyDir, DB)]);
  } finally {
    await live.close();
  }
  try {
    await run(process.execPath, [join(newDir, 'bin', 'sanctuary.mjs'), 'migrate', '--db', join(copyDir, DB)], { timeout: 120_000 });
  } catch (err) {
    const detail = `the new release's migrations failed on a copy of the database: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`;
    say(detail);
    await rm(work, { recursive: true, force: true });
    await o.service.start();
    const result: UpdateResult = { outcome: 'refused', fromVersion, toVersion, release: releaseName, detail };
    await writeJournal(o.dataDir, { ...base, outcome: 'refused', detail, finishedAt: now() });
    return result;
  }

  await moveDb(o.dataDir, originalDir, o.dataDir);
  await moveDb(copyDir, o.dataDir, o.dataDir);
  await swapLink(current, join('releases', releaseName));
  say(`starting ${releaseName}; waiting up to ${Math.round(o.healthTimeoutMs / 1000)} s for health`);
  await o.service.start();
  const trial = await waitHealthy(o);
  if (trial.ok) {
    say(`${toVersion} is healthy; ${fromVersion} stays in ${oldDir} for a manual rollback`);
    await writeJournal(o.dataDir, { ...base, outcome: 'installed', detail: `${releaseName} healthy`, finishedAt: now() });
    return { outcome: 'installed', fromVersion, toVersion, release: releaseName, detail: trial.detail };
  }

  say(`${toVersion}: ${trial.detail}; rolling back to ${fromVersion}`);
  await o.service.stop();
  // The trial release imported `started` into the database that is now thrown away: journal it
  // again for the original one (re-importing a `started` already there adds nothing).
  await writeJournal(o.dataDir, { ...base, outcome: 'started', detail: `installing ${releaseName} beside ${basename(oldDir)}` });
  for (const f of DB_FILES) await rm(join(o.dataDir, f), { force: true });
  await moveDb(originalDir, o.dataDir, o.dataDir);
  await swapLink(current, oldTarget);
  // Journalled before the old release starts, so it audits the rollback as it comes up.
  await writeJournal(o.dataDir, {
    ...base,
    outcome: 'rolled_back',
    detail: `${trial.detail}; rolled back to ${fromVersion}`,
    finishedAt: now(),
  });
  await o.service.start();
  const back = await waitHealthy(o);
  const detail = `${trial.detail}; rolled back to ${fromVersion}${back.ok ? '' : `, which is NOT healthy either: ${back.detail}`}`;
  if (!back.ok) await writeJournal(o.dataDir, { ...base, outcome: 'rolled_back', detail, finishedAt: now() });
  await rm(work, { recursive: true, force: true });
  return { outcome: 'rolled_back', fromVersion, toVersion, release: releaseName, detail };
}
