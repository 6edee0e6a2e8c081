/**
 * `sanctuary update` against real hubs: the running release is this checkout (compiled, run
 * through `<install dir>/current/bin/sanctuary.mjs` as the systemd unit runs it), and so is the
 * new release: a package the test packs whose bin/sanctuary.mjs runs this same hub.
 * - Rolled back: the new release's hub starts and answers HTTP, but its ffmpeg is missing (as a
 *   package built for another architecture would leave it), a critical failure, so public health
 *   says 503 {"up":false}; the update is rolled back within its time limit and the old hub serves
 *   again with its own database, its audit log and update history recording it.
 * - Installed: a release that stays healthy through the settle period is kept, `current` points
 *   at it, and its hub serves the same owner with the update audited.
 * systemd is the one part played by the test: start and stop spawn and SIGTERM the process.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { applyUpdate, type ServiceControl } from '../../../hub/appliance/update.js';
import { thisAppDir } from '../../../hub/cli/service.js';
import { healthCheck } from '../../../hub/cli/update.js';
import { Database } from '../../../hub/storage/database.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { tempDir } from '../../helpers/hub.js';
import { freePort, waitFor } from '../../helpers/ports.js';

const run = promisify(execFile);

/** A release's bin: this checkout's hub; with `breakFfmpeg`, started with an ffmpeg that is not there. */
const releaseBin = (breakFfmpeg: boolean) => `#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
const real = ${JSON.stringify(join(thisAppDir(), 'bin', 'sanctuary.mjs'))};
const args = process.argv.slice(2);
const at = args.indexOf('--config');
if (${breakFfmpeg} && args[0] === 'start' && at > 0) {
  const cfg = args[at + 1] + '.release.yaml';
  writeFileSync(cfg, readFileSync(args[at + 1], 'utf8') + 'ffmpeg:\\n  path: /nonexistent/ffmpeg\\n');
  args[at + 1] = cfg;
}
process.argv = [process.argv[0], real, ...args];
await import(real);
`;

class ProcessService implements ServiceControl {
  child: ChildProcess | null = null;
  output = '';
  starts: string[] = [];
  /** Every answer of public /api/health the updater's check got: "<status> <body>". */
  answers: string[] = [];
  constructor(
    private readonly installDir: string,
    private readonly args: string[],
    private readonly url: string,
  ) {}
  async start(): Promise<void> {
    this.starts.push(await readlink(join(this.installDir, 'current')));
    const child = spawn(process.execPath, [join(this.installDir, 'current', 'bin', 'sanctuary.mjs'), 'start', ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    this.child = child;
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
    this.child = null;
  }
  async healthy(): Promise<boolean> {
    const ok = await healthCheck(`${this.url}/api/health`, null)();
    const r = await fetch(`${this.url}/api/health`);
    this.answers.push(`${r.status} ${await r.text()}`);
    return ok;
  }
}

interface Setup {
  installDir: string;
  dataDir: string;
  url: string;
  service: ProcessService;
}

async function installed(dir: string): Promise<Setup> {
  const installDir = join(dir, 'opt');
  const dataDir = join(dir, 'data');
  await mkdir(join(installDir, 'releases'), { recursive: true });
  await mkdir(dataDir);
  // The running release: this checkout, as the real hub.
  await symlink(thisAppDir(), join(installDir, 'releases', '0.1.0-real'));
  await symlink(join('releases', '0.1.0-real'), join(installDir, 'current'));
  const port = await freePort();
  const cfg = join(dir, 'sanctuary.yaml');
  await writeFile(
    cfg,
    `version: 1\nhttp:\n  host: 127.0.0.1\n  port: ${port}\n  redirectPort: null\n  tls: { enabled: false }\nmqtt:\n  embedded: { host: 127.0.0.1, port: 0 }\nrecorder:\n  ramBuffer: { enabled: false }\n`,
  );
  const url = `http://127.0.0.1:${port}`;
  const service = new ProcessService(installDir, ['--config', cfg, '--data-dir', dataDir], url);
  await service.start();
  const code = await waitFor(() => /([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/.exec(service.output)?.[1], 'the setup code', 60_000);
  await ownerClient(url, code);
  return { installDir, dataDir, url, service };
}

/** A release package, packed as `npm pack` would (everything under package/). */
async function pack(dir: string, version: string, breakFfmpeg: boolean): Promise<string> {
  const pkgDir = join(dir, 'pkg', version, 'package');
  await mkdir(join(pkgDir, 'bin'), { recursive: true });
  await writeFile(join(pkgDir, 'package.json'), JSON.stringify({ name: 'sanctuary-hub', version, type: 'module' }));
  await writeFile(join(pkgDir, 'bin', 'sanctuary.mjs'), releaseBin(breakFfmpeg), { mode: 0o755 });
  const tgz = join(dir, `sanctuary-hub-${version}.tgz`);
  await run('tar', ['-czf', tgz, '-C', join(dir, 'pkg', version), 'package']);
  return tgz;
}

async function updateAudit(url: string): Promise<{ actions: string[]; verified: boolean }> {
  const owner = new ApiClient(url);
  expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
  const entries = (await owner.get<{ entries: Array<{ action: string }> }>('/api/audit?limit=1000')).body.entries;
  return {
    actions: entries.filter((e) => e.action.startsWith('update.')).map((e) => e.action),
    verified: (await owner.get<{ ok: boolean }>('/api/audit/verify')).body.ok,
  };
}

async function updateRows(dataDir: string): Promise<Array<{ from_version: string; to_version: string; outcome: string }>> {
  const db = await Database.open(join(dataDir, 'sanctuary.db'), { readOnly: true });
  try {
    return await db.all('SELECT from_version, to_version, outcome FROM appliance_updates');
  } finally {
    await db.close();
  }
}

describe('sanctuary update', () => {
  let dir = '';
  let service: ProcessService | null = null;
  afterEach(async () => {
    if (service?.child && service.child.exitCode === null) service.child.kill('SIGKILL');
    service = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rolls back a release that starts and answers but reports a critical failure, and the old hub serves again', async () => {
    dir = await tempDir();
    const s = await installed(dir);
    service = s.service;
    const tgz = await pack(dir, '0.2.0-noffmpeg', true);

    const r = await applyUpdate({
      packagePath: tgz,
      installDir: s.installDir,
      dataDir: s.dataDir,
      service,
      healthTimeoutMs: 15_000,
      pollMs: 200,
    });
    expect(r.outcome).toBe('rolled_back');
    expect(r.fromVersion).toBe('0.1.0');
    expect(r.toVersion).toBe('0.2.0-noffmpeg');
    expect(r.detail).toMatch(/health not ok within 15 s/);
    expect(r.detail).not.toMatch(/NOT healthy either/);
    // The new hub was up and answering, and said only that it is not up.
    expect(service.answers).toContain('503 {"up":false}');
    expect(service.output).toMatch(/configured ffmpeg \/nonexistent\/ffmpeg does not run/);
    // It ran the new release, then the old one again.
    expect(service.starts).toEqual(['releases/0.1.0-real', `releases/${r.release}`, 'releases/0.1.0-real']);
    expect(await readlink(join(s.installDir, 'current'))).toBe('releases/0.1.0-real');

    // The old hub serves, with its own database: the owner signs in, the update is audited once.
    expect(await service.healthy()).toBe(true);
    expect(service.answers.at(-1)).toBe('200 {"up":true}');
    expect(await updateAudit(s.url)).toEqual({ actions: ['update.started', 'update.rolled_back'], verified: true });
    await service.stop();

    expect(await updateRows(s.dataDir)).toEqual([{ from_version: '0.1.0', to_version: '0.2.0-noffmpeg', outcome: 'rolled_back' }]);
    const db = await Database.open(join(s.dataDir, 'sanctuary.db'), { readOnly: true });
    try {
      const history = await db.all<{ hub_version: string; schema_version: number }>(
        'SELECT hub_version, schema_version FROM schema_history',
      );
      const top = await db.get<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations');
      expect(history).toEqual([{ hub_version: '0.1.0', schema_version: top?.v }]);
    } finally {
      await db.close();
    }
  });

  it('keeps a release that stays healthy, and its hub serves the same owner', async () => {
    dir = await tempDir();
    const s = await installed(dir);
    service = s.service;
    const tgz = await pack(dir, '0.2.0', false);

    const r = await applyUpdate({
      packagePath: tgz,
      installDir: s.installDir,
      dataDir: s.dataDir,
      service,
      healthTimeoutMs: 60_000,
      healthSettleMs: 2000,
      pollMs: 200,
    });
    expect(r).toMatchObject({ outcome: 'installed', fromVersion: '0.1.0', toVersion: '0.2.0', detail: 'healthy for 2 s' });
    expect(service.starts).toEqual(['releases/0.1.0-real', `releases/${r.release}`]);
    expect(await readlink(join(s.installDir, 'current'))).toBe(`releases/${r.release}`);
    // Every answer during the trial and its settle period said up.
    expect(service.answers.length).toBeGreaterThan(2);
    expect(new Set(service.answers)).toEqual(new Set(['200 {"up":true}']));

    // The new release's hub has the migrated database: the same owner. It imports the updater's
    // `installed` within a minute or at its next start; a restart shows it at once.
    await service.stop();
    await service.start();
    await waitFor(() => service?.healthy(), 'the new release up again', 60_000, 200);
    const audit = await updateAudit(s.url);
    expect(audit).toEqual({ actions: ['update.started', 'update.installed'], verified: true });
    await service.stop();
    expect(await updateRows(s.dataDir)).toEqual([{ from_version: '0.1.0', to_version: '0.2.0', outcome: 'installed' }]);
  });
});
