/**
 * The generated unit passes `systemd-analyze verify` (Debian's systemd), carries the hardening the
 * appliance relies on, and `install-service --root` / `uninstall-service --root` write and remove
 * the unit, sysusers.d and tmpfiles.d files without touching the machine.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { renderUnit, SYSUSERS_PATH, TMPFILES_PATH, UNIT_PATH } from '../../../hub/appliance/systemd-unit.js';
import { runInstallService, runUninstallService, thisAppDir } from '../../../hub/cli/service.js';
import { tempDir } from '../../helpers/hub.js';

const run = promisify(execFile);

async function verify(unitPath: string): Promise<{ code: number; output: string }> {
  try {
    const r = await run('systemd-analyze', ['verify', '--man=no', unitPath], { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('systemd unit', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  it('is accepted by systemd-analyze verify, with a notify watchdog, restart and hardening', async () => {
    dir = await tempDir();
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    const unit = renderUnit({
      nodePath: process.execPath,
      appDir: thisAppDir(),
      dataDir,
      user: 'sanctuary',
      ports: [8443, 8080, 1883],
      watchdogSeconds: 30,
    });
    const path = join(dir, 'sanctuary.service');
    await writeFile(path, unit);
    const r = await verify(path);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
    for (const line of [
      'Type=notify',
      'WatchdogSec=30',
      'Restart=always',
      'ProtectSystem=strict',
      `ReadWritePaths=${dataDir}`,
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
      'User=sanctuary',
      'StandardOutput=journal',
      'RuntimeDirectory=sanctuary',
      // Only the ports it needs.
      'SocketBindAllow=tcp:1883',
      'SocketBindAllow=tcp:8080',
      'SocketBindAllow=tcp:8443',
      'SocketBindAllow=udp:5000-65000',
      'SocketBindDeny=any',
    ]) {
      expect(unit.split('\n'), line).toContain(line);
    }
    // No port below 1024: no capability at all.
    expect(unit.split('\n')).toContain('CapabilityBoundingSet=');
    expect(unit.split('\n')).toContain('AmbientCapabilities=');
  });

  it('keeps only CAP_NET_BIND_SERVICE for a port below 1024', () => {
    const unit = renderUnit({
      nodePath: '/usr/bin/node',
      appDir: '/opt/sanctuary/current',
      dataDir: '/var/lib/sanctuary',
      user: 'sanctuary',
      ports: [443],
      watchdogSeconds: 30,
    });
    expect(unit.split('\n')).toContain('CapabilityBoundingSet=CAP_NET_BIND_SERVICE');
  });

  it('refuses a relative data folder and a bad user name, naming them', () => {
    const base = { nodePath: '/usr/bin/node', appDir: '/opt/s', dataDir: '/var/lib/s', user: 'sanctuary', ports: [], watchdogSeconds: 30 };
    expect(() => renderUnit({ ...base, dataDir: 'data' })).toThrow(/data folder must be an absolute path/);
    expect(() => renderUnit({ ...base, user: 'root; rm' })).toThrow(/not a valid system user name/);
  });

  it('install-service --root writes unit, user and folder entries; uninstall-service --root removes them', async () => {
    dir = await tempDir();
    const root = join(dir, 'root');
    const dataDir = join(dir, 'var-lib-sanctuary');
    const out: string[] = [];
    expect(
      await runInstallService(['--root', root, '--data-dir', dataDir], (s) => {
        out.push(s);
      }),
    ).toBe(0);
    const unit = await readFile(join(root, UNIT_PATH), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${thisAppDir()}/bin/sanctuary.mjs start --data-dir ${dataDir}`);
    expect(await readFile(join(root, SYSUSERS_PATH), 'utf8')).toContain(`u sanctuary - "Sanctuary hub" ${dataDir} /usr/sbin/nologin`);
    expect(await readFile(join(root, TMPFILES_PATH), 'utf8')).toContain(`d ${dataDir} 0700 sanctuary sanctuary -`);
    expect((await verify(join(root, UNIT_PATH))).code).toBe(0);
    // systemd's own tools accept the sysusers and tmpfiles entries against the image root.
    await run('systemd-sysusers', ['--root', root, join(root, SYSUSERS_PATH)]);
    expect(await readFile(join(root, 'etc/passwd'), 'utf8')).toMatch(/^sanctuary:x:\d+:\d+:Sanctuary hub:/m);
    expect(
      await runUninstallService(['--root', root], (s) => {
        out.push(s);
      }),
    ).toBe(0);
    for (const p of [UNIT_PATH, SYSUSERS_PATH, TMPFILES_PATH]) expect(existsSync(join(root, p)), p).toBe(false);
  });

  it('--print writes the unit to stdout only', async () => {
    dir = await tempDir();
    const out: string[] = [];
    expect(
      await runInstallService(['--print', '--data-dir', join(dir, 'd')], (s) => {
        out.push(s);
      }),
    ).toBe(0);
    expect(out.join('')).toContain('[Service]');
    expect(existsSync(join(dir, 'd'))).toBe(false);
  });
});
