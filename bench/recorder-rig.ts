/**
 * What the recorder benchmarks share: a 1080p source encoded once as cameras send it, a wait, and a
 * real hub with only the recorder on one simulated camera.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Hub } from '../hub/app.js';
import { validateConfig } from '../hub/config/load.js';
import { CONFIG_VERSION } from '../hub/config/schema.js';
import { createLogger } from '../hub/log/logger.js';
import { RecorderModule } from '../hub/recorder/recorder-module.js';
import type { SimRtspServer } from '../hub/sim/rtsp-server.js';

/** 10 s of testsrc2 at 1080p15 encoded once (H.264 high with B-frames, 1 s GOP) and then served with -c copy. */
export async function hdSource(): Promise<string> {
  const out = join(tmpdir(), 'sanctuary-bench-testsrc2-1920x1080-15fps-bf2.mp4');
  if (existsSync(out)) return out;
  const part = `${out}.${process.pid}.part.mp4`;
  await promisify(execFile)('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=15', '-t', '10'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '15', '-pix_fmt', 'yuv420p', '-y', part],
  ]);
  await rename(part, out);
  return out;
}

export interface RigOptions {
  detect: boolean;
  segmentSeconds: number;
  pre?: number;
  post?: number;
  /** More recorder settings (the RAM buffer, the rolling buffer's length). */
  recorder?: Record<string, unknown>;
}

/** Give the hub a camera's stream with no sub stream, snapshot URL or password; returns the detach. */
export function attachPlainCamera(hub: Hub, cameraId: string, mainUrl: string): () => void {
  return hub.core.cameraAttachments.attach({ cameraId, mainUrl, subUrl: null, snapshotUrl: null, username: null, password: null });
}

/** A hub with the recorder on camera `cam` fed by `server`, for as long as `fn` runs. */
export async function withRecorderHub<T>(
  server: SimRtspServer,
  opts: RigOptions,
  fn: (hub: Hub, recorder: RecorderModule) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-'));
  const recorder = new RecorderModule();
  const hub = new Hub({
    config: validateConfig({
      version: CONFIG_VERSION,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      recorder: { segmentSeconds: opts.segmentSeconds, minFreeBytes: 0, ...opts.recorder },
      cameras: [
        {
          id: 'cam',
          name: 'Bench camera',
          source: { type: 'rtsp', mainUrl: server.url },
          detect: { enabled: opts.detect, fps: 5, width: 640, height: 360 },
          record: { preRollSeconds: opts.pre ?? 10, postRollSeconds: opts.post ?? 10 },
        },
      ],
    }),
    modules: [recorder],
    log: createLogger({ level: 'warn' }),
    dataDir,
  });
  try {
    await hub.start();
    attachPlainCamera(hub, 'cam', server.url);
    return await fn(hub, recorder);
  } finally {
    await hub.stop('bench done');
    await rm(dataDir, { recursive: true, force: true });
  }
}
