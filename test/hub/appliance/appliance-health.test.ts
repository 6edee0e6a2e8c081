/**
 * The health an installer who comes back once a year reads, from real hubs:
 * - the last shutdown: a hub process killed with SIGKILL (as a power cut leaves it) is reported
 *   unclean at the next start, with when it was last seen alive, and audited; a clean stop then
 *   restart says the last shutdown was clean;
 * - the clock: with no time service answering, health says in plain words that it cannot tell
 *   (a note, not a fault: a container sees no time service while its host keeps time); a time
 *   service that says not synchronised makes it degraded; chrony synchronised is ok. The time
 *   services are played by small scripts on the hub's PATH (they stand for the OS's NTP daemon);
 * - no backup: a note for the first 24 hours, then degraded (the hub's fake clock moved on), and
 *   a backup older than 90 days brings the owner's reminder back.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupStatusView } from '../../../hub/api/appliance.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { HubProcess } from '../../helpers/hub-process.js';

interface Health {
  status: string;
  components: Record<string, { status: string; message: string; details?: Record<string, unknown> }>;
}

async function script(binDir: string, name: string, body: string | null): Promise<void> {
  const p = join(binDir, name);
  if (body === null) {
    await rm(p, { force: true });
    return;
  }
  await writeFile(p, `#!/bin/sh\n${body}\n`);
  await chmod(p, 0o755);
}

async function signedIn(url: string): Promise<ApiClient> {
  const c = new ApiClient(url);
  expect((await c.login(OWNER.username, OWNER.password)).status).toBe(200);
  return c;
}

describe('appliance health', () => {
  let dir = '';
  let proc: HubProcess | null = null;
  let t: TestHub | null = null;
  afterEach(async () => {
    await proc?.stop('SIGKILL');
    proc = null;
    await t?.close();
    t = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says the last shutdown was unclean after a SIGKILL and clean after a stop; says how the clock is kept', async () => {
    dir = await tempDir();
    const dataDir = join(dir, 'data');
    const binDir = join(dir, 'bin');
    await mkdir(binDir);
    // Only the fake time services are on the hub's PATH (ffmpeg comes from its npm package).
    const env = { PATH: binDir };
    proc = await HubProcess.create(dir, dataDir);

    // First run: a fresh data folder; systemd-timesyncd says the clock is not synchronised.
    await script(binDir, 'timedatectl', 'echo no');
    const firstStart = Date.now();
    await proc.start(env);
    const owner = await ownerClient(proc.url, proc.setupCode());
    let h = (await owner.get<Health>('/api/health')).body;
    expect(h.components.shutdown).toMatchObject({ status: 'ok', message: 'the last shutdown was clean' });
    expect(h.components['clock-sync']?.status).toBe('degraded');
    expect(h.components['clock-sync']?.message).toBe(
      'the clock is NOT synchronised: evidence times may drift (systemd-timesyncd reports NTPSynchronized=no; offset not reported)',
    );
    expect(h.status).toBe('degraded');
    // A degraded hub is still up: only a critical failure says otherwise.
    expect(await (await fetch(`${proc.url}/api/health`)).text()).toBe('{"up":true}');
    const killedAfter = Date.now();
    expect(await proc.stop('SIGKILL')).toBeNull();

    // Second run after the kill; no time service answers (timedatectl fails as it does without systemd).
    await script(
      binDir,
      'timedatectl',
      `echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2; exit 1`,
    );
    await proc.start(env);
    let c = await signedIn(proc.url);
    h = (await c.get<Health>('/api/health')).body;
    const shutdown = h.components.shutdown;
    expect(shutdown?.status).toBe('degraded');
    expect(shutdown?.message).toMatch(/^the last shutdown was unclean \(power cut, crash or kill\); last seen alive at \d{4}-\d\d-\d\dT/);
    const lastAliveAt = Number(shutdown?.details?.lastAliveAt);
    expect(lastAliveAt).toBeGreaterThanOrEqual(firstStart);
    expect(lastAliveAt).toBeLessThanOrEqual(killedAfter);
    expect(h.components['clock-sync']).toMatchObject({
      status: 'ok',
      message:
        'unknown: no time service answered, so the hub cannot tell whether its clock is right (chronyc: not installed; ntpq: not installed; timedatectl: no answer)',
    });
    const unclean = async (client: ApiClient) =>
      (await client.get<{ entries: Array<{ action: string }> }>('/api/audit?limit=1000')).body.entries.filter(
        (e) => e.action === 'hub.unclean_shutdown',
      ).length;
    expect(await unclean(c)).toBe(1);
    expect(await proc.stop('SIGTERM')).toBe(0);

    // Third run after a clean stop: nothing to report; chrony keeps time.
    await script(binDir, 'timedatectl', null);
    await script(
      binDir,
      'chronyc',
      'printf "Reference ID    : C0A80001 (192.168.0.1)\\nSystem time     : 0.000012345 seconds fast of NTP time\\nLeap status     : Normal\\n"',
    );
    await proc.start(env);
    c = await signedIn(proc.url);
    h = (await c.get<Health>('/api/health')).body;
    expect(h.components.shutdown).toMatchObject({ status: 'ok', message: 'the last shutdown was clean' });
    expect(h.components['clock-sync']).toMatchObject({
      status: 'ok',
      message: 'synchronised (chrony: 0.000012345 s fast of NTP time, leap status Normal)',
    });
    expect(await unclean(c)).toBe(1);
    expect(await proc.stop('SIGTERM')).toBe(0);
  });

  it('no backup: a note for 24 hours, then degraded; a backup older than 90 days is reminded again', async () => {
    let now = Date.now();
    t = await startTestHub({ clock: { now: () => now } });
    const hub = t;
    const owner = await ownerClient(hub.url, hub.setupCode);
    const backupHealth = async (c: ApiClient) => (await c.get<Health>('/api/health')).body.components.backup;
    expect(await backupHealth(owner)).toMatchObject({ status: 'ok', details: { lastBackupAt: null, reminder: true } });

    now += 23 * 3_600_000;
    let c = await signedIn(hub.url);
    expect((await backupHealth(c))?.status).toBe('ok');
    now += 2 * 3_600_000;
    c = await signedIn(hub.url);
    const late = await backupHealth(c);
    expect(late?.status).toBe('degraded');
    expect(late?.message).toMatch(/^no backup of this hub yet: a dead SD card would lose its identity/);
    // Degraded, not failed: the hub is up.
    expect(await (await fetch(`${hub.url}/api/health`)).text()).toBe('{"up":true}');

    const dl = await c.postForBytes('/api/backup', { password: OWNER.password, passphrase: 'a backup passphrase here' });
    expect(dl.status).toBe(200);
    const madeAt = now;
    expect((await c.get<BackupStatusView>('/api/backup/status')).body).toEqual({
      lastBackupAt: madeAt,
      via: 'download',
      remind: false,
      remindAfterDays: 90,
    });
    expect(await backupHealth(c)).toMatchObject({ status: 'ok', details: { lastBackupAt: madeAt, reminder: false } });

    now += 89 * 86_400_000;
    c = await signedIn(hub.url);
    expect((await c.get<BackupStatusView>('/api/backup/status')).body.remind).toBe(false);
    now += 2 * 86_400_000;
    c = await signedIn(hub.url);
    expect((await c.get<BackupStatusView>('/api/backup/status')).body).toMatchObject({ lastBackupAt: madeAt, remind: true });
    const old = await backupHealth(c);
    expect(old?.status).toBe('ok');
    expect(old?.message).toBe(
      `last backup ${new Date(madeAt).toISOString()} (download), older than 90 days: make a new one under Settings → Backup`,
    );
  });
});
