/**
 * Person detection figures on this machine (`npm run bench -- detection`):
 * - model time per frame (p50 / p95) for each backend that loads here (tfjs-node, onnxruntime, wasm);
 * - the pipeline at 5 fps real-time input with motion gating, on each fixture clip: frames gated,
 *   detector runs and rate, pipeline time over model time, CPU used (this process with its
 *   snapshot worker thread, plus the detector's own process);
 * - latency from the arrival of a frame to the `person.detected` event it caused.
 * Targets (2-core x86): model p50 <= 150 ms on wasm; pipeline overhead <= 20% over model time;
 * frame-to-event < 1 s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CameraPipeline } from '../detectors/camera-pipeline.js';
import { detectorConfigSchema } from '../detectors/config.js';
import { DetectorClient } from '../detectors/detector-client.js';
import { defaultModelPath } from '../detectors/plugin.js';
import { SnapshotWriter } from '../detectors/snapshot-writer.js';
import type { CameraDevice } from '../hub/api/devices.js';
import { describeError } from '../hub/api/errors.js';
import type { EventMap } from '../hub/api/events.js';
import type { Frame } from '../hub/api/plugin.js';
import { HubEventBus } from '../hub/bus/event-bus.js';
import { cameraSeedSchema } from '../hub/config/devices-schema.js';
import { cameraFromSeed } from '../hub/devices/registry.js';
import { createLogger } from '../hub/log/logger.js';
import { newKeyPair } from '../hub/vault/age-file.js';
import { recipientSealer } from '../hub/vault/sealer.js';
import { clipFrames } from '../test/detectors/fixture-media.js';
import { CLK_TCK, cpuTicks, ms, pct } from './figures.js';

const log = createLogger({ level: 'warn' });
const FPS = 5;

async function modelTimes(backend: 'tfjs-node' | 'onnxruntime' | 'wasm' | 'cpu', frames: Frame[]): Promise<void> {
  const client = new DetectorClient({ init: { backend, modelPath: defaultModelPath(), outputName: 'tower_0/detections' }, log });
  try {
    const info = await client.start();
    const infer: number[] = [];
    const round: number[] = [];
    for (const f of frames) {
      const r = await client.detect(f);
      infer.push(r.inferMs);
      round.push(r.roundTripMs);
    }
    const label = backend === 'wasm' ? `wasm (${info.simd ? 'simd' : 'no simd'})` : info.threads ? `${backend} x${info.threads}` : backend;
    process.stdout.write(
      `model ${label.padEnd(12)} ${info.model} ${info.inputSize.join('x')}: p50 ${ms(pct(infer, 50))}, p95 ${ms(pct(infer, 95))} ` +
        `(round trip p50 ${ms(pct(round, 50))}; ${frames.length} frames; load ${info.loadMs} ms)\n`,
    );
  } catch (err) {
    process.stdout.write(`model ${backend.padEnd(12)} unavailable: ${describeError(err).slice(0, 200)}\n`);
  } finally {
    await client.stop();
  }
}

function camera(id: string): CameraDevice {
  return cameraFromSeed(
    cameraSeedSchema.parse({
      id,
      name: id,
      source: { type: 'rtsp', mainUrl: `rtsp://127.0.0.1/${id}` },
      detect: { fps: FPS, width: 640, height: 480 },
    }),
  );
}

async function realTime(
  detector: DetectorClient,
  snapshots: SnapshotWriter,
  clip: string,
  frames: Frame[],
  people: number,
): Promise<{ cpuPct: number; wallS: number }> {
  const bus = new HubEventBus(log);
  const arrival = new Map<number, number>();
  const latencies: number[] = [];
  let firstEventFrameMs: number | null = null;
  let firstEventWallMs: number | null = null;
  let t0 = 0;
  bus.on('person.detected', 'bench', (e: EventMap['person.detected']) => {
    const at = arrival.get(e.ts);
    if (at !== undefined) latencies.push(performance.now() - at);
    firstEventFrameMs ??= e.ts - frames[0]!.ts;
    firstEventWallMs ??= performance.now() - t0;
  });
  const config = detectorConfigSchema.parse({});
  const pipeline = new CameraPipeline(camera(frames[0]!.cameraId), { source: 'bench', bus, log, detector, snapshots, config });
  // This process plus the detector's own (detectors/worker-spawn.ts).
  const detectorPid = detector.child?.pid;
  const ticks = () => (detectorPid === undefined ? 0 : cpuTicks(detectorPid));
  const cpu0 = process.cpuUsage();
  const det0 = ticks();
  t0 = performance.now();
  for (let i = 0; i < frames.length; i++) {
    // Real time: frame i arrives at i / FPS seconds, like the recorder's ffmpeg output.
    const due = t0 + (i * 1000) / FPS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const f = frames[i]!;
    arrival.set(f.ts, performance.now());
    pipeline.onFrame(f);
  }
  await pipeline.idle();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = (((cpu.user + cpu.system) / 1e6 + (ticks() - det0) / CLK_TCK) / wallS) * 100;
  const s = pipeline.stats;
  const model = pct(s.inferMs, 50);
  const run = pct(s.runMs, 50);
  process.stdout.write(
    `pipeline ${clip}: ${frames.length} frames in ${wallS.toFixed(1)} s at ${FPS} fps; motion in ${s.motionFrames}, ` +
      `detector ran ${s.detectRuns}x (${(s.detectRuns / wallS).toFixed(2)} detections/s), ${s.dropped} dropped while busy, ` +
      `${s.lightingChanges} lighting re-seeds\n` +
      `  model p50 ${ms(model)}, pipeline per detection p50 ${ms(run)} (overhead ${((run / model - 1) * 100).toFixed(1)}% over model time); ` +
      `CPU ${cpuPct.toFixed(0)}% of one core (this process with its snapshot worker, and the detector process)\n` +
      `  track starts (person.detected) ${s.trackStarts} for ${people} hand-labelled people (${s.tracksCreated} tracks created, ` +
      `${s.snapshotErrors} snapshot errors)\n`,
  );
  if (latencies.length > 0) {
    process.stdout.write(
      `  person.detected: ${latencies.length} events; frame arrival -> event p50 ${ms(pct(latencies, 50))}, p95 ${ms(pct(latencies, 95))}, max ${ms(Math.max(...latencies))}; ` +
        `first event ${ms(firstEventWallMs ?? Number.NaN)} after the first frame arrived (its frame time +${firstEventFrameMs} ms)\n`,
    );
  } else {
    process.stdout.write('  person.detected: none\n');
  }
  pipeline.close(false);
  return { cpuPct, wallS };
}

export async function run(): Promise<void> {
  const walking = await clipFrames('people-walking-768x576-10fps.mp4', {
    cameraId: 'walk',
    fps: FPS,
    width: 640,
    height: 480,
    // The labelled window of test/fixtures/labels/persons.json (7 people).
    seconds: 10,
    startTs: 1_000_000,
  });
  const tree = await clipFrames('no-person-moving-tree-640x480-10fps.mp4', {
    cameraId: 'tree',
    fps: FPS,
    width: 640,
    height: 480,
    seconds: 12,
    startTs: 1_000_000,
  });

  await modelTimes('tfjs-node', walking.slice(0, 15));
  await modelTimes('onnxruntime', walking.slice(0, 20));
  await modelTimes('wasm', walking.slice(0, 20));
  // The plain JS cpu backend needs tens of seconds per frame here: only on request.
  if (process.env.BENCH_DETECTION_CPU === '1') await modelTimes('cpu', walking.slice(0, 2));
  else process.stdout.write('model cpu          skipped (tens of seconds per frame; BENCH_DETECTION_CPU=1 to measure)\n');

  const detector = new DetectorClient({ init: { backend: 'auto', modelPath: defaultModelPath(), outputName: 'tower_0/detections' }, log });
  const snapDir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-'));
  // Sealed as the hub seals them (age, to a key made for the run): the cost is part of the figure.
  const benchKey = newKeyPair();
  const snapshots = new SnapshotWriter(
    snapDir,
    log,
    recipientSealer(() => [benchKey.recipient]),
  );
  try {
    await detector.start();
    snapshots.warmUp();
    const t = await realTime(detector, snapshots, 'no-person-moving-tree', tree, 0);
    const w = await realTime(detector, snapshots, 'people-walking', walking, 7);
    process.stdout.write(`CPU moving-tree ${t.cpuPct.toFixed(0)}% vs people-walking ${w.cpuPct.toFixed(0)}% of one core\n`);
  } finally {
    await detector.stop();
    await snapshots.stop();
    await rm(snapDir, { recursive: true, force: true });
  }
}
