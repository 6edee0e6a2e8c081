/**
 * A camera with a password, set up in a real browser: the installer pastes an RTSP URL with the
 * user name and password in it, tests it, saves it and then saves zones on it. The camera keeps
 * streaming (no offline, no tamper), the stored password survives the zones edit, and the
 * password appears in no API response the browser received, no response the owner's app gets, no
 * log line and no command line of any process the hub started (ingest, still grab, live view),
 * sampled from /proc/<pid>/cmdline while they ran.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { builtinPlugins } from '../../app/plugins.js';
import type { RecorderModule } from '../../hub/recorder/recorder-module.js';
import { SimRtspServer } from '../../hub/sim/rtsp-server.js';
import { type ApiClient, invitedClient, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { DOORBELL_CLIP, waitFor } from '../hub/recorder/harness.js';

const SECRET = `Cam${randomBytes(9).toString('hex')}`;

/** Command lines of every process below `root` (by parent pid), skipping the given subtrees. */
async function descendantCmdlines(root: number, skip: Set<number>): Promise<Map<number, string>> {
  const parent = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // The process ended between readdir and read: nothing to sample.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, depth = 0; p > 1 && depth < 64; depth++) {
      if (skip.has(p)) return false;
      const up = parent.get(p);
      if (up === root) return true;
      if (up === undefined) return false;
      p = up;
    }
    return false;
  };
  const out = new Map<number, string>();
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try {
      out.set(pid, (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim());
    } catch {
      // Gone already.
    }
  }
  return out;
}

describe('e2e: a camera with a password through the installer page', () => {
  let hub: TestHub;
  let camera: SimRtspServer;
  let browser: Browser;
  let owner: ApiClient;
  const seen = new Map<string, string>();
  let sampler: NodeJS.Timeout | null = null;
  let sampling: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    camera = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell', username: 'admin', password: SECRET });
    await camera.start();
    hub = await startTestHub({
      uiDir,
      plugins: builtinPlugins().filter((p) => p.id !== 'person-detector'),
      config: { recorder: { segmentSeconds: 2, offlineAfterSeconds: 6, minFreeBytes: 0 } },
    });
    browser = await launchBrowser();
    // The simulated camera is not the hub: its own processes are left out of the sample.
    const skip = new Set(camera.pids());
    sampler = setInterval(() => {
      sampling = sampling.then(async () => {
        for (const [pid, cmd] of await descendantCmdlines(process.pid, skip)) seen.set(`${pid}:${cmd}`, cmd);
      });
    }, 40);
  }, 120_000);

  afterAll(async () => {
    if (sampler) clearInterval(sampler);
    await sampling;
    await browser?.close();
    await hub?.close();
    await camera?.stop();
  });

  it('saving zones keeps the camera streaming; the password is in no response, log or command line', { timeout: 150_000 }, async () => {
    const events: Array<{ name: string; cameraId?: string; ts: number }> = [];
    hub.hub.bus.onAny('test', (name, e) => {
      const cameraId = (e as { cameraId?: string }).cameraId;
      events.push({ name, ts: Date.now(), ...(cameraId ? { cameraId } : {}) });
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    await invitedClient(hub.url, owner, 'installer', 'ivy');
    const { context, page } = await newDevice(browser);
    page.setDefaultTimeout(15_000);
    const bodies: Array<{ url: string; body: string }> = [];
    page.on('response', (res) => {
      if (!new URL(res.url()).pathname.startsWith('/api/')) return;
      res.text().then(
        (body) => bodies.push({ url: res.url(), body }),
        (err: unknown) => bodies.push({ url: res.url(), body: `unreadable: ${String(err)}` }),
      );
    });
    await signIn(page, hub.url, 'ivy', 'ivy password 123');
    await page.goto(`${hub.url}/install/cameras`);

    const form = page.getByRole('form', { name: 'Add a camera' });
    await form.getByLabel('Name').fill('Front door');
    await form.getByLabel('Main stream URL').fill(camera.url.replace('rtsp://', `rtsp://admin:${SECRET}@`));
    await form.getByRole('button', { name: 'Test: show a still' }).click();
    await form.getByTestId('test-still').waitFor({ timeout: 30_000 });
    await form.getByRole('button', { name: 'Save camera' }).click();
    await form.getByText('Saved "Front door".').waitFor();

    const recorder = hub.hub.core.module<RecorderModule>('recorder') ?? expect.fail('recorder module');
    await waitFor('first segment', () => events.some((e) => e.name === 'segment.written' && e.cameraId === 'front-door'), 40_000);

    await page.getByRole('button', { name: 'Draw zones for Front door' }).click();
    const canvas = page.getByTestId('zone-canvas');
    const box = (await canvas.boundingBox()) ?? expect.fail('zone canvas not shown');
    for (const [x, y] of [
      [0.2, 0.3],
      [0.8, 0.3],
      [0.8, 0.9],
    ] as const)
      await canvas.click({ position: { x: box.width * x, y: box.height * y } });
    await page.getByLabel('Zone name').fill('Path');
    await page.getByRole('button', { name: 'Finish zone' }).click();
    await page.getByRole('button', { name: 'Save zones' }).click();
    await page.getByText('Zones saved.').waitFor();
    const savedAt = Date.now();

    // The zones reached the camera, the password on record did not change.
    const stored = hub.hub.core.devices.camera('front-door') ?? expect.fail('camera saved');
    expect(stored.detect.zones.map((z) => z.name)).toEqual(['Path']);
    expect(stored.source).toMatchObject({ type: 'rtsp', mainUrl: camera.url, username: 'admin', password: SECRET });

    // The new settings restart ingest; it must come back with the stored password and record on.
    await waitFor(
      'segments after the zones were saved',
      () => events.some((e) => e.name === 'segment.written' && e.ts > savedAt + 2000),
      40_000,
    );
    expect(recorder.status('front-door')).toMatchObject({ online: true, lastError: null });
    expect(events.filter((e) => e.name === 'camera.offline' || e.name === 'camera.tamper')).toEqual([]);
    await context.close();

    // The owner watches live (node-rtsp-stream's ffmpeg) and reads the camera lists.
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/api/cameras/front-door/live`, {
      headers: { cookie: owner.sessionCookie ?? '' },
    });
    let liveBytes = 0;
    ws.on('message', (d: Buffer) => {
      liveBytes += d.length;
    });
    await waitFor('live view data', () => liveBytes > 20_000, 30_000);
    ws.close();
    for (const path of ['/api/devices', '/api/cameras']) {
      const r = await owner.get(path);
      bodies.push({ url: path, body: JSON.stringify(r.body) });
    }
    if (sampler) clearInterval(sampler);
    sampler = null;
    await sampling;

    // What the browser and the owner's app received.
    expect(bodies.length).toBeGreaterThan(5);
    expect(bodies.some((b) => b.url.endsWith('/api/devices') && b.body.includes('"hasPassword":true'))).toBe(true);
    for (const b of bodies) expect(b.body, b.url).not.toContain(SECRET);
    expect(hub.logs.text()).not.toContain(SECRET);
    // The audit log says the first save set a password and the zones save did not change it.
    const saves = (await hub.hub.core.audit.entries()).filter((e) => e.action === 'device.camera_saved');
    expect(saves.map((e) => e.subject)).toEqual([
      { id: 'front-door', name: 'Front door', passwordChanged: true },
      { id: 'front-door', name: 'Front door', passwordChanged: false },
    ]);
    expect(JSON.stringify(await hub.hub.core.audit.entries())).not.toContain(SECRET);

    // Every ffmpeg the hub ran: ingest (segments), the still grab and live view, none with the password.
    const ffmpegs = [...seen.values()].filter((c) => /(^|\/)ffmpeg /.test(c));
    expect(ffmpegs.some((c) => c.includes('-f segment'))).toBe(true);
    expect(ffmpegs.some((c) => c.includes('mpeg1video'))).toBe(true);
    expect(ffmpegs.some((c) => c.includes('-frames:v 1'))).toBe(true);
    // An ffmpeg that talks to the camera does so through the hub's relay; the recorder and detector
    // consumers read the camera session's copy on a pipe.
    const relayed = /-i rtsp:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/doorbell /;
    expect(ffmpegs.filter((c) => relayed.test(c)).length).toBeGreaterThanOrEqual(3);
    for (const c of ffmpegs) expect(c).toMatch(new RegExp(`${relayed.source}|-i pipe:0 `));
    for (const c of seen.values()) expect(c).not.toContain(SECRET);
  });
});
