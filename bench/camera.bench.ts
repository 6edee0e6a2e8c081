/**
 * Camera benchmark: connect-to-first-frame and frame-served to frame-at-detector delay (the
 * GStreamer sim's camera clock is the hub's, so a frame's RTCP camera time is when it was served);
 * CPU of the ffmpegs per camera (RTSP source copy + segment recorder + detection decoder)
 * at 768x576 10 fps (the doorbell fixture) and 1920x1080 15 fps (an ffmpeg-generated testsrc2
 * stream), with and without low-resolution detection frames; and the time from a trigger to the
 * clip being available. CPU is read from /proc/<pid>/stat of the recorder's ffmpeg.
 */
import { fileURLToPath } from 'node:url';
import type { EventMap } from '../hub/api/events.js';
import { SimRtspServer } from '../hub/sim/rtsp-server.js';
import { waitFor } from '../test/helpers/ports.js';
import { CLK_TCK, cpuTicks, pct } from './figures.js';
import { hdSource, withRecorderHub } from './recorder-rig.js';

const DOORBELL = fileURLToPath(new URL('../test/fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));
const MEASURE_MS = 10_000;

async function measureCpu(label: string, file: string, detect: boolean): Promise<void> {
  const server = new SimRtspServer({ kind: 'gstreamer', file, mount: '/bench' });
  await server.start();
  try {
    await withRecorderHub(server, { detect, segmentSeconds: 4 }, async (_hub, recorder) => {
      await waitFor(() => recorder.status('cam').online, `${label} online`, 30_000);
      // Let the first segment close so steady state is measured, not start-up probing.
      await waitFor(async () => (await recorder.segments.live({ cameraId: 'cam' })).length >= 1, `${label} first segment`, 30_000);
      const ingest = recorder.ingestFor('cam');
      const pids = [ingest?.pid, ingest?.recorderPid, ingest?.framesPid].filter((p): p is number => typeof p === 'number');
      if (pids.length === 0) throw new Error('no ingest process');
      const ticks = () => pids.reduce((n, p) => n + cpuTicks(p), 0);
      const t0 = ticks();
      const started = Date.now();
      await new Promise((r) => setTimeout(r, MEASURE_MS));
      const seconds = (Date.now() - started) / 1000;
      const cpu = ((ticks() - t0) / CLK_TCK / seconds) * 100;
      const segs = await recorder.segments.live({ cameraId: 'cam' });
      const bytesPerSec = segs.reduce((n, s) => n + s.size, 0) / Math.max(1, (segs.at(-1)?.endTs ?? 0) - (segs[0]?.startTs ?? 0)) / 1;
      process.stdout.write(
        `${label.padEnd(44)} ffmpeg CPU ${cpu.toFixed(1).padStart(5)} % of one core   (${(bytesPerSec * 8).toFixed(0)} kbit/s recorded)\n`,
      );
    });
  } finally {
    await server.stop();
  }
}

async function measureClipLatency(): Promise<void> {
  const server = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL, mount: '/bench' });
  await server.start();
  try {
    await withRecorderHub(server, { detect: false, segmentSeconds: 4, pre: 10, post: 5 }, async (hub, recorder) => {
      // Fill the pre-roll first.
      await waitFor(async () => (await recorder.segments.live({ cameraId: 'cam' })).length >= 3, 'pre-roll buffer', 40_000);
      const results: Array<{ total: number; afterPostRoll: number }> = [];
      for (let i = 0; i < 3; i++) {
        const saved = new Promise<EventMap['clip.saved']>((resolve) => {
          const off = hub.bus.on('clip.saved', 'bench', (e) => {
            off();
            resolve(e);
          });
        });
        const t0 = Date.now();
        const pending = recorder.requestClip('cam', 'api');
        await saved;
        const now = Date.now();
        results.push({ total: now - t0, afterPostRoll: now - pending.endTs });
        // The next trigger must not merge into this clip.
        await new Promise((r) => setTimeout(r, 1000));
      }
      const avg = (k: 'total' | 'afterPostRoll') => results.reduce((n, r) => n + r[k], 0) / results.length;
      process.stdout.write(
        `trigger -> clip.saved (10 s pre-roll, 5 s post-roll, 4 s segments): ${(avg('total') / 1000).toFixed(2)} s on average, ` +
          `of which ${(avg('afterPostRoll') / 1000).toFixed(2)} s after the post-roll ended (segment close + concat copy + hash)\n`,
      );
    });
  } finally {
    await server.stop();
  }
}

const PEOPLE = fileURLToPath(new URL('../test/fixtures/media/people-walking-768x576-10fps.mp4', import.meta.url));

/** Connect to first fragment / first detector frame, over several fresh connections. */
async function measureFirstFrame(label: string, file: string): Promise<void> {
  const server = new SimRtspServer({ kind: 'gstreamer', file, mount: '/bench' });
  await server.start();
  try {
    const toFragment: number[] = [];
    const toDetector: number[] = [];
    for (let i = 0; i < 4; i++) {
      await withRecorderHub(server, { detect: true, segmentSeconds: 4 }, async (hub, recorder) => {
        let firstFrameAt = 0;
        const off = hub.core.frameHub.subscribe('cam', 'bench', () => {
          if (firstFrameAt === 0) firstFrameAt = Date.now();
        });
        try {
          await waitFor(() => firstFrameAt > 0, 'first frame', 30_000);
          const ingest = recorder.ingestFor('cam');
          if (!ingest) throw new Error('no ingest');
          toFragment.push(ingest.firstFragmentAt - ingest.spawnedAt);
          toDetector.push(firstFrameAt - ingest.spawnedAt);
        } finally {
          off();
        }
      });
    }
    process.stdout.write(
      `${label.padEnd(44)} connect -> first fragment ${toFragment.map((v) => v.toFixed(0)).join(' / ')} ms; ` +
        `-> first frame at the detector ${toDetector.map((v) => v.toFixed(0)).join(' / ')} ms (target < 1000 ms)\n`,
    );
  } finally {
    await server.stop();
  }
}

/**
 * Reconnects (the source ffmpeg killed, as when a camera drops its session): once a connection
 * has shown the stream, the next probes one packet (probe-memory.ts) unless it carries B-frames.
 */
async function measureReconnect(label: string, file: string): Promise<void> {
  const server = new SimRtspServer({ kind: 'gstreamer', file, mount: '/bench' });
  await server.start();
  try {
    await withRecorderHub(server, { detect: true, segmentSeconds: 4 }, async (hub, recorder) => {
      const ingest = () => {
        const i = recorder.ingestFor('cam');
        if (!i) throw new Error('no ingest');
        return i;
      };
      await waitFor(() => ingest().fragments > 40, `${label} learned`, 30_000);
      let lastFrameAt = 0;
      const off = hub.core.frameHub.subscribe('cam', 'bench', () => {
        lastFrameAt = Date.now();
      });
      const toFragment: number[] = [];
      const toDetector: number[] = [];
      const fast: boolean[] = [];
      try {
        for (let i = 0; i < 8; i++) {
          const before = ingest().spawnedAt;
          const pid = ingest().pid;
          if (pid === undefined) throw new Error('no source ffmpeg');
          process.kill(pid, 'SIGKILL');
          await waitFor(() => ingest().spawnedAt > before && ingest().firstFragmentAt > 0, `${label} reconnect ${i}`, 30_000);
          const spawned = ingest().spawnedAt;
          await waitFor(() => lastFrameAt > spawned, `${label} frame after reconnect ${i}`, 30_000);
          toFragment.push(ingest().firstFragmentAt - spawned);
          toDetector.push(lastFrameAt - spawned);
          fast.push(ingest().fastProbe);
          // A random pause: the next connect lands anywhere in the camera's keyframe interval.
          await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1000));
        }
      } finally {
        off();
      }
      process.stdout.write(
        `${label.padEnd(44)} reconnect (${fast.every(Boolean) ? 'fast probe' : fast.some(Boolean) ? 'mixed probes' : 'full probe'}) -> first fragment median ${pct(toFragment, 50).toFixed(0)} ms, min ${Math.min(...toFragment).toFixed(0)} ms ` +
          `(${toFragment.map((v) => v.toFixed(0)).join(' / ')}); -> first detector frame median ${pct(toDetector, 50).toFixed(0)} ms (target < 1000 ms)\n`,
      );
    });
  } finally {
    await server.stop();
  }
}

/** Frame served (its RTCP camera time, the sim's clock being the hub's) -> frame at the detector. */
async function measureFrameDelay(): Promise<void> {
  const server = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL, mount: '/bench', clockOffsetMs: 0 });
  await server.start();
  try {
    await withRecorderHub(server, { detect: true, segmentSeconds: 4 }, async (hub) => {
      const delays: number[] = [];
      const toArrival: number[] = [];
      const off = hub.core.frameHub.subscribe('cam', 'bench', (f) => {
        if (typeof f.cameraTs !== 'number') return;
        delays.push(Date.now() - f.cameraTs);
        toArrival.push(f.ts - f.cameraTs);
      });
      try {
        await waitFor(() => delays.length >= 5, 'frames with camera time', 30_000);
        delays.length = 0;
        toArrival.length = 0;
        await new Promise((r) => setTimeout(r, MEASURE_MS));
      } finally {
        off();
      }
      process.stdout.write(
        `frame served -> frame at the detector (768x576 10 fps, 5 fps to the detector, ${delays.length} frames): ` +
          `median ${pct(delays, 50).toFixed(0)} ms, p95 ${pct(delays, 95).toFixed(0)} ms (target < 250 ms); ` +
          `served -> arrived at the hub median ${pct(toArrival, 50).toFixed(0)} ms\n`,
      );
    });
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<void> {
  await measureFirstFrame('768x576 10 fps, B-frames (people clip)', PEOPLE);
  await measureFirstFrame('768x576 10 fps, no B-frames (doorbell)', DOORBELL);
  await measureReconnect('768x576 10 fps, B-frames (people clip)', PEOPLE);
  await measureReconnect('768x576 10 fps, no B-frames (doorbell)', DOORBELL);
  await measureFrameDelay();
  process.stdout.write(`CPU per camera (source copy + segment recorder + detection decoder ffmpegs), ${MEASURE_MS / 1000} s each\n`);
  await measureCpu('768x576 10 fps doorbell, record only', DOORBELL, false);
  await measureCpu('768x576 10 fps doorbell, record + 5 fps frames', DOORBELL, true);
  const hd = await hdSource();
  await measureCpu('1920x1080 15 fps testsrc2, record only', hd, false);
  await measureCpu('1920x1080 15 fps testsrc2, record + 5 fps frames', hd, true);
  await measureClipLatency();
}
