/**
 * SD-card wear: bytes written to the data folder's storage per hour of one 1080p camera (15 fps
 * testsrc2, stream copied, 4 s segments, 10 min rolling buffer, nothing kept), with the rolling
 * buffer on the card and in RAM. Measured by Linux's per-process I/O accounting (write_bytes minus
 * cancelled_write_bytes in /proc/<pid>/io) of the ffmpeg recording process and of the hub process
 * (SQLite, the index), i.e. what reached the block layer; tmpfs writes are not counted there.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Hub } from '../hub/app.js';
import { processWriteBytes } from '../hub/appliance/write-meter.js';
import { validateConfig } from '../hub/config/load.js';
import { CONFIG_VERSION } from '../hub/config/schema.js';
import { createLogger } from '../hub/log/logger.js';
import { RecorderModule } from '../hub/recorder/recorder-module.js';
import { SimRtspServer } from '../hub/sim/rtsp-server.js';

const MEASURE_MS = Number(process.env.SANCTUARY_BENCH_SDCARD_SECONDS ?? 60) * 1000;

async function hdSource(): Promise<string> {
  const out = join(tmpdir(), 'sanctuary-bench-testsrc2-1920x1080-15fps.mp4');
  if (existsSync(out)) return out;
  const part = `${out}.${process.pid}.part.mp4`;
  await promisify(execFile)('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=15', '-t', '10'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '15', '-pix_fmt', 'yuv420p', '-y', part],
  ]);
  await rename(part, out);
  return out;
}

async function waitFor<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measure(server: SimRtspServer, ram: boolean): Promise<{ perHour: number; segments: number; footage: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-sd-'));
  const ramDir = ram ? await mkdtemp('/dev/shm/sanctuary-bench-') : null;
  const recorder = new RecorderModule();
  const hub = new Hub({
    config: validateConfig({
      version: CONFIG_VERSION,
      http: { host: '127.0.0.1', port: 0, redirectPort: null, tls: { enabled: false } },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      recorder: {
        segmentSeconds: 4,
        bufferMinutes: 10,
        minFreeBytes: 0,
        ramBuffer: ram ? { enabled: true, dir: ramDir } : { enabled: false },
      },
      cameras: [
        {
          id: 'cam',
          name: 'Bench camera',
          source: { type: 'rtsp', mainUrl: server.url },
          detect: { enabled: false },
          record: { preRollSeconds: 10, postRollSeconds: 10 },
        },
      ],
    }),
    modules: [recorder],
    log: createLogger({ level: 'warn' }),
    dataDir,
  });
  try {
    await hub.start();
    hub.core.cameraAttachments.attach({
      cameraId: 'cam',
      mainUrl: server.url,
      subUrl: null,
      snapshotUrl: null,
      username: null,
      password: null,
    });
    await waitFor(async () => (await recorder.segments.live({ cameraId: 'cam' })).length >= 1, 30_000, 'first segment');
    const pid = recorder.ingestPid('cam');
    if (!pid) throw new Error('no ingest process');
    const f0 = (await processWriteBytes(pid)) ?? 0;
    const h0 = (await processWriteBytes()) ?? 0;
    const before = (await recorder.segments.live({ cameraId: 'cam' })).length;
    const started = Date.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    if (recorder.ingestPid('cam') !== pid) throw new Error('ffmpeg restarted during the measurement');
    const written = ((await processWriteBytes(pid)) ?? 0) - f0 + ((await processWriteBytes()) ?? 0) - h0;
    const hours = (Date.now() - started) / 3_600_000;
    const segs = await recorder.segments.live({ cameraId: 'cam' });
    return {
      perHour: written / hours,
      segments: segs.length - before,
      footage: segs.slice(before).reduce((n, s) => n + s.size, 0) / hours,
    };
  } finally {
    await hub.stop('bench done');
    await rm(dataDir, { recursive: true, force: true });
    if (ramDir) await rm(ramDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const server = new SimRtspServer({ kind: 'gstreamer', file: await hdSource(), mount: '/sd' });
  await server.start();
  try {
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
    const disk = await measure(server, false);
    const ram = await measure(server, true);
    process.stdout.write(
      `1080p 15 fps, 4 s segments, nothing kept, measured ${MEASURE_MS / 1000} s each (footage recorded: ${mb(disk.footage)}/h)\n` +
        `  rolling buffer on the card: ${mb(disk.perHour)} written per hour (${mb(disk.perHour * 24)}/day)\n` +
        `  rolling buffer in RAM:      ${mb(ram.perHour)} written per hour (${mb(ram.perHour * 24)}/day)\n` +
        `  ratio: ${(disk.perHour / Math.max(1, ram.perHour)).toFixed(0)}x fewer bytes with the RAM buffer\n`,
    );
  } finally {
    await server.stop();
  }
}
