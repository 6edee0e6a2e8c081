/**
 * Live view benchmark, at 768x576 10 fps (the doorbell fixture) and 1920x1080 15 fps (testsrc2
 * with B-frames), both served as encoded:
 * - CPU per viewer: passthrough (`mode=mse`: the hub process's CPU with N viewers less with none;
 *   the viewers run in a child process so their reading is not counted) against MPEG-1 (the
 *   muxer's ffmpeg at the default live settings, 640x480 25 fps 1000 kbit/s, one viewer).
 * - Glass-to-glass delay through Media Source in Chromium: frames whose wall-clock time (ms) is
 *   written into them as a row of black and white blocks, encoded live by the simulated camera,
 *   played on the doorbell page; at every animation frame the video element is drawn to a canvas,
 *   its blocks read back, and each new frame's time compared with now. How much of that sits in
 *   the player's own buffer (newest media less the playhead) is printed beside it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RecorderModule } from '../hub/recorder/recorder-module.js';
import { type SimRtspOptions, SimRtspServer } from '../hub/sim/rtsp-server.js';
import { OWNER, ownerClient } from '../test/helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, signIn } from '../test/helpers/browser.js';
import { startTestHub, type TestHub } from '../test/helpers/hub.js';
import { waitFor } from '../test/helpers/ports.js';
import { cameraSeed } from '../test/hub/recorder/harness.js';
import { CLK_TCK, cpuTicks, ms, pct } from './figures.js';
import { attachPlainCamera, hdSource } from './recorder-rig.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOORBELL = fileURLToPath(new URL('../test/fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));
const MEASURE_MS = 10_000;
const ROUNDS = 3;
const VIEWERS = 4;
/** Timestamp blocks: a white marker, 32 bits of Date.now(), a black marker, BLOCK x BLOCK squares along the top. */
const BLOCK = 22;
const BITS = 32;

interface Rig {
  t: TestHub;
  recorder: RecorderModule;
  server: SimRtspServer;
  cookie: string;
  close(): Promise<void>;
}

async function startRig(server: Partial<SimRtspOptions> & { file: string }, uiDir: string | null): Promise<Rig> {
  const sim = new SimRtspServer({ kind: 'gstreamer', mount: '/bench', ...server });
  await sim.start();
  const recorder = new RecorderModule();
  let t: TestHub;
  try {
    t = await startTestHub({
      uiDir,
      modules: [recorder],
      config: {
        recorder: { segmentSeconds: 4, minFreeBytes: 0, retentionIntervalSeconds: 3600 },
        cameras: [cameraSeed('cam', sim.url)],
      },
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  attachPlainCamera(t.hub, 'cam', sim.url);
  const owner = await ownerClient(t.url, t.setupCode);
  return {
    t,
    recorder,
    server: sim,
    cookie: owner.sessionCookie ?? '',
    async close() {
      await t.close();
      await sim.stop();
    },
  };
}

/** N WebSocket viewers in a child process (their reading is not the hub's CPU); prints bytes received at the end. */
function viewers(url: string, cookie: string, n: number): { child: ChildProcess; done: Promise<number> } {
  const script = `
    import WebSocket from 'ws';
    const [url, cookie, n] = process.argv.slice(1);
    let bytes = 0;
    const sockets = [];
    for (let i = 0; i < Number(n); i++) {
      const ws = new WebSocket(url, { headers: { cookie } });
      ws.on('message', (d) => { bytes += d.length; });
      ws.on('error', (e) => { console.error('viewer error', e.message); process.exit(2); });
      sockets.push(ws);
    }
    process.on('SIGTERM', () => { for (const s of sockets) s.terminate(); console.log(bytes); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, url, cookie, String(n)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<number>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`viewers exited with ${code}`))));
  });
  return { child, done };
}

/** The hub process's CPU (% of one core) over MEASURE_MS. */
async function hubCpu(durationMs = MEASURE_MS / 2): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
}

async function measureCpu(label: string, file: string): Promise<{ mse: number; mpeg1: number }> {
  const rig = await startRig({ file }, null);
  try {
    const { recorder } = rig;
    await waitFor(() => recorder.status('cam').online, `${label} online`, 30_000);
    await waitFor(async () => (await recorder.segments.live({ cameraId: 'cam' })).length >= 1, `${label} first segment`, 30_000);
    const live = recorder.live;
    if (!live) throw new Error('no live view');
    const base = `${rig.t.url.replace('http', 'ws')}/api/cameras/cam/live`;

    // Idle and watched alternate (three rounds, median of the differences): the machine is shared.
    const idles: number[] = [];
    const watched: number[] = [];
    let mseBytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      idles.push(await hubCpu());
      const mse = viewers(`${base}?mode=mse`, rig.cookie, VIEWERS);
      await waitFor(() => live.viewers('cam', 'mse') === VIEWERS, 'passthrough viewers', 10_000);
      await new Promise((r) => setTimeout(r, 1000));
      watched.push(await hubCpu());
      mse.child.kill('SIGTERM');
      mseBytes += await mse.done;
      await waitFor(() => live.viewers('cam', 'mse') === 0, 'passthrough viewers gone', 10_000);
    }
    const idle = pct(idles, 50);
    const withMse = pct(watched, 50);
    const msePerViewer =
      Math.max(
        0,
        pct(
          watched.map((w, i) => w - (idles[i] ?? 0)),
          50,
        ),
      ) / VIEWERS;
    mseBytes /= ROUNDS;

    const mpeg = viewers(`${base}?mode=mpeg1`, rig.cookie, 1);
    const pid = await waitFor(() => live.pid('cam'), 'MPEG-1 muxer', 10_000);
    // Past its start-up (probing the RTSP stream) before measuring.
    await new Promise((r) => setTimeout(r, 3000));
    const k0 = cpuTicks(pid);
    const t0 = performance.now();
    const hubWithMpeg = await hubCpu(MEASURE_MS);
    const mpegCpu = ((cpuTicks(pid) - k0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100;
    mpeg.child.kill('SIGTERM');
    const mpegBytes = await mpeg.done;

    const kbps = (bytes: number, n: number, s: number) => ((bytes * 8) / 1000 / s / n).toFixed(0);
    process.stdout.write(
      `${label.padEnd(22)} passthrough ${msePerViewer.toFixed(2).padStart(5)} % of a core per viewer (hub median ${idle.toFixed(1)} % idle, ${withMse.toFixed(1)} % with ${VIEWERS}, ${ROUNDS} rounds; ~${kbps(mseBytes, VIEWERS, MEASURE_MS / 2000 + 1)} kbit/s each)\n` +
        `${''.padEnd(22)} MPEG-1      ${mpegCpu.toFixed(2).padStart(5)} % of a core (its ffmpeg; hub ${hubWithMpeg.toFixed(1)} %; ~${kbps(mpegBytes, 1, MEASURE_MS / 1000 + 3)} kbit/s)   ratio ${(msePerViewer / mpegCpu).toFixed(3)}\n`,
    );
    return { mse: msePerViewer, mpeg1: mpegCpu };
  } finally {
    await rig.close();
  }
}

/** Gray frames with a moving bar and the time they were made written into the top row as blocks. */
function frameWriter(fifo: string, width: number, height: number, fps: number): { stop(): void } {
  const out = createWriteStream(fifo);
  out.on('error', (err) => process.stderr.write(`timestamp source: ${err.message}\n`));
  let n = 0;
  const timer = setInterval(() => {
    const frame = Buffer.alloc(width * height, 110);
    const bar = (n * 8) % width;
    for (let y = BLOCK * 2; y < height; y++) frame.fill(200, y * width + bar, y * width + Math.min(width, bar + 40));
    const stamp = Date.now() >>> 0;
    for (let block = 0; block < BITS + 2; block++) {
      const bit = block - 1;
      const v = block === 0 ? 255 : block === BITS + 1 ? 0 : (stamp >>> (BITS - 1 - bit)) & 1 ? 255 : 0;
      for (let y = 0; y < BLOCK; y++) frame.fill(v, y * width + block * BLOCK, y * width + (block + 1) * BLOCK);
    }
    n++;
    // A frame the pipe cannot take now is dropped, as a camera drops one it cannot send.
    if (out.writableLength < width * height * 2) out.write(frame);
  }, 1000 / fps);
  return {
    stop() {
      clearInterval(timer);
      out.destroy();
    },
  };
}

async function measureDelay(label: string, width: number, height: number, fps: number, uiDir: string): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-live-'));
  const fifo = join(dir, 'frames.gray');
  await promisify(execFile)('mkfifo', [fifo]);
  const inputArgs = ['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, '-r', String(fps), '-i', fifo];
  // One slice per frame unless LIVE_BENCH_SLICED is set: x264's zerolatency tune otherwise puts
  // frames in several slices (the passthrough merges a keyframe's slices, see slice-merge.ts).
  const slices = process.env.LIVE_BENCH_SLICED ? [] : ['-x264-params', 'sliced-threads=0'];
  const encodeArgs = [
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    ...slices,
    '-g',
    String(fps),
    '-pix_fmt',
    'yuv420p',
  ];
  // Opening a FIFO waits for its other end: the writer and the sim's ffmpeg find each other.
  const writer = frameWriter(fifo, width, height, fps);
  let rig: Rig | null = null;
  const browser = await launchBrowser();
  try {
    rig = await startRig({ file: '', inputArgs, encodeArgs }, uiDir);
    const { recorder } = rig;
    await waitFor(() => recorder.status('cam').online, `${label} online`, 30_000);
    const { page } = await newDevice(browser, { width: 1280, height: 800 });
    // tsx names functions with an __name helper that the page does not have.
    await page.addInitScript('window.__name = (f) => f');
    await signIn(page, rig.t.url, OWNER.username, OWNER.password);
    await openPage(page, 'Doorbell');
    await page.getByTestId('live-view').and(page.locator('[data-playing="true"][data-mode="mse"]')).waitFor({ timeout: 30_000 });
    // Let it settle at the live edge.
    await page.waitForTimeout(3000);
    const { delays, unread, buffered } = await page.getByTestId('live-video').evaluate(
      (v: HTMLVideoElement, o: { block: number; bits: number; ms: number }) =>
        new Promise<{ delays: number[]; unread: number; buffered: number[] }>((resolve) => {
          const c = document.createElement('canvas');
          c.width = o.block * (o.bits + 2);
          c.height = o.block;
          const g = c.getContext('2d', { willReadFrequently: true });
          if (!g) throw new Error('no 2d context');
          const delays: number[] = [];
          const buffered: number[] = [];
          let unread = 0;
          let last = -1;
          const until = performance.now() + o.ms;
          const luma = (px: Uint8ClampedArray, block: number) => px[((o.block >> 1) * c.width + block * o.block + (o.block >> 1)) * 4] ?? 0;
          // Every animation frame (60 Hz): what the video element shows now. A frame drawn
          // before it is ready reads as transparent; the marker blocks (white first, black last) tell.
          const look = () => {
            const now = performance.timeOrigin + performance.now();
            g.clearRect(0, 0, c.width, c.height);
            g.drawImage(v, 0, 0, c.width, c.height, 0, 0, c.width, c.height);
            const px = g.getImageData(0, 0, c.width, c.height).data;
            if (luma(px, 0) > 128 && luma(px, o.bits + 1) < 128 && (px[3] ?? 0) === 255) {
              let stamp = 0;
              for (let bit = 0; bit < o.bits; bit++) stamp = stamp * 2 + (luma(px, bit + 1) > 128 ? 1 : 0);
              if (stamp !== last) {
                last = stamp;
                // Both are milliseconds modulo 2^32: their difference modulo 2^32, read as signed.
                let d = (now - stamp + 2 ** 32) % 2 ** 32;
                if (d > 2 ** 31) d -= 2 ** 32;
                delays.push(d);
                const b = v.buffered;
                if (b.length > 0) buffered.push((b.end(b.length - 1) - v.currentTime) * 1000);
              }
            } else unread++;
            if (performance.now() < until) requestAnimationFrame(look);
            else resolve({ delays, unread, buffered });
          };
          requestAnimationFrame(look);
        }),
      { block: BLOCK, bits: BITS, ms: MEASURE_MS },
    );
    // A frame whose blocks did not read back (a decoder smear) shows as an absurd delay: left out.
    const plausible = delays.filter((d) => d >= 0 && d < 60_000);
    process.stdout.write(
      `${label.padEnd(22)} glass-to-glass (MSE, Chromium) p50 ${ms(pct(plausible, 50))}  p95 ${ms(pct(plausible, 95))}  max ${ms(Math.max(...plausible))}; in the player's buffer p50 ${ms(pct(buffered, 50))}  (${plausible.length} frames read, ${delays.length - plausible.length} misread, ${unread} looks unreadable)\n`,
    );
    return plausible;
  } finally {
    await browser.close();
    await rig?.close();
    writer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** LIVE_BENCH=cpu or LIVE_BENCH=delay runs one half. */
export async function run(): Promise<void> {
  const parts = process.env.LIVE_BENCH ?? 'cpu,delay';
  if (parts.includes('cpu')) {
    const hd = await hdSource();
    const sd = await measureCpu('768x576 10 fps', DOORBELL);
    const full = await measureCpu('1920x1080 15 fps', hd);
    const target = (r: { mse: number; mpeg1: number }) => (r.mse <= r.mpeg1 / 10 ? 'met' : 'NOT met');
    process.stdout.write(`target passthrough <= 1/10 of MPEG-1: 768x576 ${target(sd)}, 1080p ${target(full)}\n`);
  }
  if (parts.includes('delay')) {
    const uiDir = await ensureUiBuilt();
    const d1 = await measureDelay('768x576 10 fps', 768, 576, 10, uiDir);
    const d2 = await measureDelay('1920x1080 15 fps', 1920, 1080, 15, uiDir);
    const ok = (d: number[]) => (pct(d, 95) < 1500 ? 'met' : 'NOT met');
    process.stdout.write(`target delay < 1.5 s (p95): 768x576 ${ok(d1)}, 1080p ${ok(d2)}\n`);
  }
}
