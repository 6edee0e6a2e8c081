/**
 * SD-card wear: bytes written to the data folder's storage per hour of one 1080p camera (15 fps
 * testsrc2, stream copied, 4 s segments, 10 min rolling buffer, nothing kept), with the rolling
 * buffer on the card and in RAM. Measured by Linux's per-process I/O accounting (write_bytes minus
 * cancelled_write_bytes in /proc/<pid>/io) of the camera session's ffmpeg, the segment recorder's ffmpeg and the hub process
 * (SQLite, the index), i.e. what reached the block layer; tmpfs writes are not counted there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { processWriteBytes } from '../hub/appliance/write-meter.js';
import { SimRtspServer } from '../hub/sim/rtsp-server.js';
import { waitFor } from '../test/helpers/ports.js';
import { hdSource, withRecorderHub } from './recorder-rig.js';

const MEASURE_MS = Number(process.env.SANCTUARY_BENCH_SDCARD_SECONDS ?? 60) * 1000;

async function measure(server: SimRtspServer, ram: boolean): Promise<{ perHour: number; segments: number; footage: number }> {
  const ramDir = ram ? await mkdtemp('/dev/shm/sanctuary-bench-') : null;
  const recorder = { bufferMinutes: 10, ramBuffer: ram ? { enabled: true, dir: ramDir } : { enabled: false } };
  try {
    return await withRecorderHub(server, { detect: false, segmentSeconds: 4, recorder }, async (_hub, rec) => {
      await waitFor(async () => (await rec.segments.live({ cameraId: 'cam' })).length >= 1, 'first segment', 30_000);
      // The camera session's ffmpeg and the segment recorder's (which writes the segments), and the hub.
      const ingest = rec.ingestFor('cam');
      const pids = [ingest?.pid, ingest?.recorderPid].filter((p): p is number => typeof p === 'number');
      if (pids.length < 2) throw new Error('no camera session or segment recorder process');
      const bytes = async () => {
        let n = (await processWriteBytes()) ?? 0;
        for (const p of pids) n += (await processWriteBytes(p)) ?? 0;
        return n;
      };
      const b0 = await bytes();
      const before = (await rec.segments.live({ cameraId: 'cam' })).length;
      const started = Date.now();
      await new Promise((r) => setTimeout(r, MEASURE_MS));
      const now = rec.ingestFor('cam');
      if (now?.pid !== pids[0] || now?.recorderPid !== pids[1]) throw new Error('ffmpeg restarted during the measurement');
      const written = (await bytes()) - b0;
      const hours = (Date.now() - started) / 3_600_000;
      const segs = await rec.segments.live({ cameraId: 'cam' });
      return {
        perHour: written / hours,
        segments: segs.length - before,
        footage: segs.slice(before).reduce((n, s) => n + s.size, 0) / hours,
      };
    });
  } finally {
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
