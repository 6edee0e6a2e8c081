/**
 * The whole detection path in real time (`npm run bench -- live-feed`): each fixture clip served
 * by the GStreamer RTSP simulator as encoded, the hub's camera ingest, motion gate, detector
 * worker, tracker, and the owner's live feed (the app's WebSocket, `/api/ws`). Printed per clip:
 * model time, detector runs / frames dropped / frames held back by the rate cap, CPU of the hub's
 * Node process (detector and snapshot workers included) and of the camera's ffmpegs, track starts,
 * and the delay to its `person.detected` arriving on the owner's live feed (p50, p95), counted two
 * ways: from the frame's capture (its RTCP time: the simulator's clock is the hub's), and from its
 * data leaving the RTSP server (on loopback, when it reached the hub's camera ffmpeg: the fragment
 * that ffmpeg writes as the frame's data comes carries the frame's camera time, prft-pairing.ts).
 * The two differ by the camera's send delay, and with B-frames by the reordering: a frame cannot
 * leave before the later frame it refers to has been captured.
 */
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { TrackView } from '../detectors/camera-pipeline.js';
import { channelsOf } from '../detectors/frame-format.js';
import { personDetectorPlugin } from '../detectors/plugin.js';
import type { Frame } from '../hub/api/plugin.js';
import { RecorderModule } from '../hub/recorder/recorder-module.js';
import { SimRtspServer } from '../hub/sim/rtsp-server.js';
import { addScores, labelledClipFrames, precision, recall, reportedAt, type Score, scoreFrame } from '../test/detectors/labelled-set.js';
import { ownerClient } from '../test/helpers/api-client.js';
import { startTestHub } from '../test/helpers/hub.js';
import { waitFor } from '../test/helpers/ports.js';
import { cameraSeed } from '../test/hub/recorder/harness.js';
import { CLK_TCK, cpuTicks, ms, pct } from './figures.js';
import { attachPlainCamera } from './recorder-rig.js';

const MEDIA = fileURLToPath(new URL('../test/fixtures/media/', import.meta.url));
const RUN_MS = 20_000;
/** A camera ffmpeg's ticks; one that ended meanwhile (a consumer restarted) counts 0, so the figure can only undercount. */
function ticks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return cpuTicks(pid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return 0;
  }
}

/** A frame's first channel on an 8-pixel grid: enough to tell which frame of a clip it is. */
function fingerprint(f: Frame): Uint8Array {
  const ch = channelsOf(f.format);
  const out = new Uint8Array(Math.ceil(f.width / 8) * Math.ceil(f.height / 8));
  let k = 0;
  for (let y = 0; y < f.height; y += 8) for (let x = 0; x < f.width; x += 8) out[k++] = f.data[(y * f.width + x) * ch]!;
  return out;
}

function meanDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < a.length; i++) n += Math.abs(a[i]! - b[i]!);
  return n / a.length;
}

/**
 * Matched further than this (mean level difference), the labelled frame was not analysed: frames
 * of the people clip 100 / 300 / 500 ms apart differ by 1.6 / 3.4 / 3.9, the tree clip's leaves by
 * 3.3 from one frame to the next (the same decoder gives 0.0 for the very frame).
 */
const SAME_FRAME = 3.5;

async function clip(file: string, label: string, people: string): Promise<void> {
  // The clip's hand-labelled frames, decoded as the hub's detection stream sees them (640x480).
  const labelled = (await labelledClipFrames(file)).map((l) => ({ ...l, print: fingerprint(l.frame) }));
  const server = new SimRtspServer({ kind: 'gstreamer', file: MEDIA + file, mount: '/cam', clockOffsetMs: 0 });
  await server.start();
  const plugin = personDetectorPlugin();
  const recorder = new RecorderModule();
  const t = await startTestHub({
    plugins: [plugin],
    modules: [recorder],
    config: {
      cameras: [cameraSeed('cam', server.url, { detect: { enabled: true, fps: 5, width: 640, height: 480 } })],
      // BENCH_DETECTOR: person-detector settings to compare, e.g. '{"model":{"name":"centernet-512"}}'.
      plugins: { 'person-detector': { backend: 'auto', ...(JSON.parse(process.env.BENCH_DETECTOR ?? '{}') as object) } },
    },
  });
  const sockets: WebSocket[] = [];
  try {
    const detach = attachPlainCamera(t.hub, 'cam', server.url);
    const owner = await ownerClient(t.url, t.setupCode);
    await plugin.ready();
    let measuring = false;
    const cameraTimes = new Map<number, number>();
    /** A frame's camera time -> when its data reached the hub's camera ffmpeg. */
    const departures = new Map<number, number>();
    /** A frame's capture / its data leaving the server -> the decoded frame handed to detection. */
    const frameDelays: number[] = [];
    const frameSent: number[] = [];
    /** Analysed frames (hub time) -> their fingerprint, and the people the pipeline reported in them. */
    const prints = new Map<number, Uint8Array>();
    const views = new Map<number, TrackView['tracks']>();
    t.hub.core.frameHub.subscribe('cam', 'bench', (f) => {
      if (measuring && labelled.length > 0) prints.set(f.ts, fingerprint(f));
      if (typeof f.cameraTs !== 'number') return;
      cameraTimes.set(f.ts, f.cameraTs);
      if (cameraTimes.size > 2000) cameraTimes.delete(cameraTimes.keys().next().value as number);
      if (!measuring) return;
      frameDelays.push(Date.now() - f.cameraTs);
      const sent = departures.get(Math.round(f.cameraTs));
      if (sent !== undefined) frameSent.push(Date.now() - sent);
    });
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/ws`, { headers: { cookie: owner.sessionCookie ?? '' } });
    sockets.push(ws);
    const delays: number[] = [];
    const sentDelays: number[] = [];
    let events = 0;
    ws.on('message', (m: Buffer) => {
      const msg = JSON.parse(m.toString()) as { type: string; name?: string; event?: { ts?: number; cameraId?: string } };
      if (!measuring || msg.type !== 'event' || msg.name !== 'person.detected' || msg.event?.cameraId !== 'cam') return;
      events++;
      const captured = cameraTimes.get(msg.event.ts ?? -1);
      if (captured === undefined) return;
      delays.push(Date.now() - captured);
      const sent = departures.get(Math.round(captured));
      if (sent !== undefined) sentDelays.push(Date.now() - sent);
    });
    await new Promise((r) => ws.once('open', r));
    await waitFor(() => recorder.status('cam').online, `${label} online`, 30_000);
    await waitFor(() => cameraTimes.size > 10, `${label} frames with camera time`, 30_000);
    const ingest = recorder.ingestFor('cam');
    // Fragment k is written as frame k+1's data comes, and its prft box holds frame k+1's camera time.
    const untap = ingest?.tap({
      init() {
        // The bench reads fragments only.
      },
      fragment(f) {
        if (f.kind !== 'video' || f.prftMs === null) return;
        departures.set(Math.round(f.prftMs), Date.now());
        if (departures.size > 2000) departures.delete(departures.keys().next().value as number);
      },
    });
    const unwatch = plugin.watchTracks('cam', (v) => {
      if (measuring) views.set(v.frameTs, v.tracks);
    });
    const ffmpegPids = () => [ingest?.pid, ingest?.recorderPid, ingest?.framesPid];
    const before = plugin.stats('cam');
    const runs0 = before?.detectRuns ?? 0;
    const starts0 = before?.trackStarts ?? 0;
    const frames0 = before?.frames ?? 0;
    const dropped0 = before?.dropped ?? 0;
    const capped0 = before?.rateCapped ?? 0;
    // The hub is its Node process plus the detector's own process (detectors/worker-spawn.ts).
    const detectorPid = plugin.detectorClient?.child?.pid;
    const cpu0 = process.cpuUsage();
    const det0 = ticks(detectorPid);
    const ff0 = ffmpegPids().reduce((n: number, p) => n + ticks(p), 0);
    const t0 = Date.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, RUN_MS));
    measuring = false;
    const wall = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const det = (ticks(detectorPid) - det0) / CLK_TCK;
    const ff = (ffmpegPids().reduce((n: number, p) => n + ticks(p), 0) - ff0) / CLK_TCK;
    unwatch?.();
    const s = plugin.stats('cam');
    if (!s) throw new Error('no pipeline stats');
    // Precision / recall of what the pipeline reported, on the clip's hand-labelled frames: each
    // matched to the hub's frame that looks most like it (the stream runs at 5 fps, so it may be
    // the frame 100 ms beside the labelled one), scored as the models bench scores the model,
    // against the people reported on it (or on the last frame the model looked at before it).
    let score: Score = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
    const matched: string[] = [];
    let seen = 0;
    for (const l of labelled) {
      let best: { ts: number; diff: number } | null = null;
      for (const ts of prints.keys()) {
        const p = prints.get(ts);
        const diff = p ? meanDiff(p, l.print) : Number.POSITIVE_INFINITY;
        if (!best || diff < best.diff) best = { ts, diff };
      }
      if (!best || best.diff > SAME_FRAME) {
        matched.push(`${l.name.split('@')[1]} s not seen`);
        continue;
      }
      seen++;
      score = addScores(score, scoreFrame(reportedAt(views, best.ts), l.truth));
      matched.push(`${l.name.split('@')[1]} s (difference ${best.diff.toFixed(1)})`);
    }
    const pr = !labelled.length
      ? 'no hand-labelled frames for this clip'
      : `${seen > 0 ? `P ${precision(score).toFixed(2)} R ${recall(score).toFixed(2)} (${score.truePositives} hit, ${score.falsePositives} false, ${score.falseNegatives} missed)` : 'none of them analysed'} on labelled frames at ${matched.join(', ')}`;
    process.stdout.write(
      `${label}: ${s.frames - frames0} frames in ${wall.toFixed(0)} s; model ran ${s.detectRuns - runs0}x ` +
        `(p50 ${ms(pct(s.inferMs, 50))}, p95 ${ms(pct(s.inferMs, 95))}), ${s.dropped - dropped0} frames dropped while busy, ` +
        `${s.rateCapped - capped0} held back by the rate cap\n` +
        `  CPU: hub ${((((cpu.user + cpu.system) / 1e6 + det) / wall) * 100).toFixed(0)} % of one core ` +
        `(Node process ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)} %, detector process ${((det / wall) * 100).toFixed(0)} %), ` +
        `camera ffmpegs ${((ff / wall) * 100).toFixed(0)} %; ` +
        `track starts ${s.trackStarts - starts0} (${people})\n` +
        `  people reported on the hand-labelled frames: ${pr}\n` +
        `  frame left the RTSP server -> person.detected on the owner's live feed: ${sentDelays.length} of ${events} events timed, ` +
        `p50 ${ms(pct(sentDelays, 50))}, p95 ${ms(pct(sentDelays, 95))}; -> frame at detection ` +
        `p50 ${ms(pct(frameSent, 50))}, p95 ${ms(pct(frameSent, 95))}\n` +
        `  frame captured (camera time) -> person.detected: ${delays.length} timed, ` +
        `p50 ${ms(pct(delays, 50))}, p95 ${ms(pct(delays, 95))}; -> frame at detection ` +
        `p50 ${ms(pct(frameDelays, 50))}, p95 ${ms(pct(frameDelays, 95))}\n`,
    );
    untap?.();
    detach();
  } finally {
    for (const s of sockets) s.close();
    await t.close();
    await server.stop();
  }
}

export async function run(): Promise<void> {
  if (process.env.BENCH_DETECTOR) process.stdout.write(`person-detector settings: ${process.env.BENCH_DETECTOR}\n`);
  const only = process.env.BENCH_CLIP;
  if (only) {
    await clip(only, only, 'chosen clip');
    return;
  }
  await clip('no-person-moving-tree-640x480-10fps.mp4', 'moving-tree', 'no one in it');
  await clip('people-walking-768x576-10fps.mp4', 'people-walking', '7 people in its first 10 s; the simulator loops the 20 s clip');
  await clip('doorbell-people-walking-768x576-10fps.mp4', 'doorbell', 'the people-walking scene as a doorbell sees it');
}
