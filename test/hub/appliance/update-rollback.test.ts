/**
 * `sanctuary update` against a real hub: the running release is this checkout (compiled, run
 * through `<install dir>/current/bin/sanctuary.mjs` as the systemd unit runs it); the package is
 * a small release the test packs whose migrations pass but whose hub answers 503 on
 * /api/health. The update is rolled back within its time limit, the old hub serves again with
 * its own database (the owner can sign in), and the hub's audit log and update history record it.
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

const BROKEN_BIN = `#!/usr/bin/env node
// A release whose migrations succeed but whose hub never becomes healthy.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'migrate') { process.stdout.write('schema up to date\\n'); process.exit(0); }
const cfg = readFileSync(args[args.indexOf('--config') + 1], 'utf8');
const port = Number(/port: (\\d+)/.exec(cfg)[1]);
const srv = createServer((req, res) => { res.writeHead(503, { 'content-type': 'application/json' }); res.end('{"up":false}'); });
srv.listen(port, '127.0.0.1');
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
`;

class ProcessService implements ServiceControl {
  child: ChildProcess | null = null;
  output = '';
  starts: string[] = [];
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
  healthy(): Promise<boolean> {
    return healthCheck(`${this.url}/api/health`, null)();
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

  it('rolls back a release whose health is not ok, and the old hub serves again', async () => {
    dir = await tempDir();
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
    service = new ProcessService(installDir, ['--config', cfg, '--data-dir', dataDir], url);
    await service.start();
    const code = await waitFor(() => /([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/.exec(service?.output ?? '')?.[1], 'the setup code', 60_000);
    await ownerClient(url, code);

    // The broken release package, packed as `npm pack` would (everything under package/).
    const pkgDir = join(dir, 'pkg', 'package');
    await mkdir(join(pkgDir, 'bin'), { recursive: true });
    await writeFile(join(pkgDir, 'package.json'), JSON.stringify({ name: 'sanctuary-hub', version: '0.2.0-broken', type: 'module' }));
    await writeFile(join(pkgDir, 'bin', 'sanctuary.mjs'), BROKEN_BIN, { mode: 0o755 });
    const tgz = join(dir, 'sanctuary-hub-0.2.0-broken.tgz');
    await run('tar', ['-czf', tgz, '-C', join(dir, 'pkg'), 'package']);

    const lines: string[] = [];
    const r = await applyUpdate({
      packagePath: tgz,
      installDir,
      dataDir,
      service,
      healthTimeoutMs: 5000,
      pollMs: 200,
      log: (l) => lines.push(l),
    });
    expect(r.outcome).toBe('rolled_back');
    expect(r.fromVersion).toBe('0.1.0');
    expect(r.toVersion).toBe('0.2.0-broken');
    expect(r.detail).toMatch(/health not ok within 5 s/);
    expect(r.detail).not.toMatch(/NOT healthy either/);
    // It ran the new release, then the old one again.
    expect(service.starts).toEqual(['releases/0.1.0-real', `releases/${r.release}`, 'releases/0.1.0-real']);
    expect(await readlink(join(installDir, 'current'))).toBe('releases/0.1.0-real');

    // The old hub serves, with its own database: the owner signs in.
    expect(await service.healthy()).toBe(true);
    const owner = new ApiClient(url);
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
    const actions = (await owner.get<{ entries: Array<{ action: string; subject: Record<string, unknown> }> }>('/api/audit?limit=1000'))
      .body.entries;
    expect(actions.filter((e) => e.action.startsWith('update.')).map((e) => e.action)).toEqual(['update.started', 'update.rolled_back']);
    expect((await owner.get<{ ok: boolean }>('/api/audit/verify')).body.ok).toBe(true);
    await service.stop();

    const db = await Database.open(join(dataDir, 'sanctuary.db'), { readOnly: true });
    try {
      const rows = await db.all<{ from_version: string; to_version: string; outcome: string }>(
        'SELECT from_version, to_version, outcome FROM appliance_updates',
      );
      expect(rows).toEqual([{ from_version: '0.1.0', to_version: '0.2.0-broken', outcome: 'rolled_back' }]);
      const history = await db.all<{ hub_version: string; schema_version: number }>(
        'SELECT hub_version, schema_version FROM schema_history',
      );
      const top = await db.get<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations');
      expect(history).toEqual([{ hub_version: '0.1.0', schema_version: top?.v }]);
    } finally {
      await db.close();
    }
  });
});
