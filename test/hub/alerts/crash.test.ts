import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SiaDc09Plugin } from '../../../plugins/sia-dc09/plugin.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { alerts, until } from './alert-hub.js';

describe('a hub that crashes mid-send', () => {
  let child: ChildProcess | null = null;
  let t: TestHub | null = null;
  let receiver: Dc09TestReceiver | null = null;
  let dir: string | null = null;
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await t?.close();
    await receiver?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    child = null;
    t = null;
    receiver = null;
    dir = null;
  });

  it('resends the alert it was sending when killed, after the restart', async () => {
    receiver = new Dc09TestReceiver();
    await receiver.start();
    receiver.silentNext = 1; // the ARC gets the frame but never answers before the crash
    dir = await tempDir();
    const script = fileURLToPath(new URL('./crash-hub.ts', import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', script, dir, String(receiver.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    const first = await new Promise<{ url: string; setupCode: string }>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`crash hub exited early (${code})`)));
      createInterface({ input: proc.stdout as NodeJS.ReadableStream }).once('line', (l) =>
        resolve(JSON.parse(l) as { url: string; setupCode: string }),
      );
    });
    const owner = await ownerClient(first.url, first.setupCode);
    await owner.put('/api/consent', { kinds: { panic: 'automatic' }, channels: { arc: { on: true } } });
    // A loud panic, so the owner's own alert list shows it (a silent one is hidden there).
    expect((await owner.put('/api/alarm/settings', { loudPanic: true })).status).toBe(200);
    await owner.post('/api/panic');
    await receiver.waitFor((r) => r.frames.some((f) => f.code === 'PA'));
    expect((await alerts(owner))[0]?.deliveries[0]?.status).toBe('sending');
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));

    t = await startTestHub({
      dataDir: dir,
      config: {
        alerts: { retryInitialMs: 100 },
        plugins: { 'sia-dc09': { enabled: true, port: receiver.port, account: '1234', linkTestSeconds: 0 } },
      },
      plugins: [new SiaDc09Plugin()],
    });
    const again = new ApiClient(t.url);
    await again.login(OWNER.username, OWNER.password);
    const [a] = await until(
      () => alerts(again),
      (l) => l[0]?.status === 'acknowledged',
    );
    expect(a?.kind).toBe('panic');
    expect(a?.deliveries[0]?.attempts).toBe(2);
    expect(receiver.frames.filter((f) => f.code === 'PA').map((f) => f.response)).toEqual(['none', 'ACK']);
  });
});
