/**
 * sd_notify from a real hub: the test listens on a unix datagram socket given as NOTIFY_SOCKET,
 * sees READY=1, then WATCHDOG=1 pings; when the recorder's maintenance loop is held (a test hook
 * standing for a pass stuck on a dying SD card) the pings stop and health names the loop; when it
 * is released they resume; STOPPING=1 comes at stop.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unixDgram } from '../../../hub/appliance/sd-notify.js';
import type { RecorderModule } from '../../../hub/recorder/recorder-module.js';
import { ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';

interface Received {
  at: number;
  text: string;
}

function listen(path: string): Promise<{ messages: Received[]; close(): void }> {
  const messages: Received[] = [];
  const sock = unixDgram().createSocket('unix_dgram', (msg: Buffer) => messages.push({ at: Date.now(), text: msg.toString('utf8') }));
  return new Promise((resolve, reject) => {
    sock.on('error', (err) => reject(err as Error));
    sock.on('listening', () => resolve({ messages, close: () => sock.close() }));
    sock.bind(path);
  });
}

const waitFor = async (what: string, cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('systemd notify and watchdog', () => {
  let t: TestHub | null = null;
  let dir = '';
  let closeSocket: (() => void) | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
    closeSocket?.();
    closeSocket = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends READY, pings while the loops move, stops pinging when the recorder loop hangs', async () => {
    dir = await tempDir();
    const socketPath = join(dir, 'notify.sock');
    const sock = await listen(socketPath);
    closeSocket = sock.close;
    // 1.5 s watchdog: a ping every 0.5 s, a loop silent for 1 s is stale.
    t = await startTestHub({ systemdEnv: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '1500000', WATCHDOG_PID: String(process.pid) } });
    const texts = () => sock.messages.map((m) => m.text);
    await waitFor('READY=1', () => texts().some((x) => x.split('\n').includes('READY=1')));
    const ready = texts().find((x) => x.includes('READY=1')) ?? '';
    expect(ready).toContain(`MAINPID=${process.pid}`);
    const pings = () => sock.messages.filter((m) => m.text === 'WATCHDOG=1');
    await waitFor('three WATCHDOG=1 pings', () => pings().length >= 3);
    expect(t.hub.health.get('watchdog')?.status).toBe('ok');

    const recorder = t.hub.core.module<RecorderModule>('recorder');
    if (!recorder) throw new Error('no recorder module');
    const release = recorder.stallMaintenanceForTest();
    await waitFor('health to name the stalled recorder', () => t?.hub.health.get('watchdog')?.status === 'failed');
    expect(t.hub.health.get('watchdog')?.message).toContain('recorder');
    // A hung critical loop is the hub's failure: public health says only that it is not up.
    const down = await fetch(`${t.url}/api/health`);
    expect([down.status, await down.text()]).toEqual([503, '{"up":false}']);
    const stalledAt = Date.now();
    const before = pings().length;
    // Six ping periods with the recorder held: not one ping.
    await new Promise((r) => setTimeout(r, 3000));
    expect(pings().filter((p) => p.at > stalledAt)).toEqual([]);
    expect(pings().length).toBe(before);

    release();
    await waitFor('pings to resume', () => pings().length >= before + 2);
    expect(t.hub.health.get('watchdog')?.status).toBe('ok');
    const up = await fetch(`${t.url}/api/health`);
    expect([up.status, await up.text()]).toEqual([200, '{"up":true}']);

    await t.close();
    t = null;
    await waitFor('STOPPING=1', () => texts().some((x) => x.split('\n').includes('STOPPING=1')));
  });

  it('without systemd, a hung critical loop makes the hub not up until it moves again', async () => {
    t = await startTestHub({ loopSilenceMs: 1000 });
    const hub = t.hub;
    const publicHealth = async () => {
      const r = await fetch(`${hub.url}/api/health`);
      return [r.status, await r.text()];
    };
    await waitFor('the loops to be watched', () => hub.health.get('loops')?.status === 'ok');
    expect(hub.health.get('loops')?.message).toBe('alarm, outbox, recorder make progress');
    expect(await publicHealth()).toEqual([200, '{"up":true}']);

    const recorder = hub.core.module<RecorderModule>('recorder');
    if (!recorder) throw new Error('no recorder module');
    const release = recorder.stallMaintenanceForTest();
    await waitFor('health to name the stalled recorder', () => hub.health.get('loops')?.status === 'failed');
    expect(hub.health.get('loops')?.message).toContain('recorder');
    expect(await publicHealth()).toEqual([503, '{"up":false}']);
    const owner = await ownerClient(hub.url, t.setupCode);
    const full = await owner.get<{ status: string; criticalFailed: string[] }>('/api/health');
    expect([full.body.status, full.body.criticalFailed]).toEqual(['failed', ['loops']]);

    release();
    await waitFor('the loops to move again', () => hub.health.get('loops')?.status === 'ok');
    expect(await publicHealth()).toEqual([200, '{"up":true}']);
  });

  it('does not ping for another process (WATCHDOG_PID) but still says READY', async () => {
    dir = await tempDir();
    const socketPath = join(dir, 'notify.sock');
    const sock = await listen(socketPath);
    closeSocket = sock.close;
    t = await startTestHub({ systemdEnv: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '600000', WATCHDOG_PID: String(process.pid + 1) } });
    await waitFor('READY=1', () => sock.messages.some((m) => m.text.includes('READY=1')));
    await new Promise((r) => setTimeout(r, 1000));
    expect(sock.messages.filter((m) => m.text === 'WATCHDOG=1')).toEqual([]);
  });
});
