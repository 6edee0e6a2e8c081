/**
 * Bytes written to the SD card per day (health `writes`): real writes, flushed to the disk the
 * data folder is on, are counted; the figure per day waits for 10 minutes of measuring (a fake
 * clock moves on) and is the bytes counted over the time measured, scaled to a day. The block
 * device read is the one the folder is mounted from (checked against /proc/self/mountinfo).
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processWriteBytes, WriteMeter } from '../../../hub/appliance/write-meter.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';

const MB = 1024 * 1024;

async function writeFlushed(path: string, bytes: number): Promise<void> {
  const f = await open(path, 'w');
  try {
    for (let i = 0; i < bytes / MB; i++) await f.write(Buffer.alloc(MB, i + 1));
    await f.sync();
  } finally {
    await f.close();
  }
}

/** major:minor of the mount that holds `path` (the longest mount point it is under). */
async function mountDevice(path: string): Promise<string> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).trim().split('\n');
  let best: { point: string; dev: string } | null = null;
  for (const l of lines) {
    const [, , dev, , point] = l.split(' ');
    if (!dev || !point) continue;
    const under = path === point || path.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (under && (!best || point.length > best.point.length)) best = { point, dev };
  }
  if (!best) throw new Error(`no mount holds ${path}`);
  return best.dev;
}

describe('bytes written per day', () => {
  let dir = '';
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts flushed writes to the data folder and scales them to a day after 10 minutes', async () => {
    dir = await tempDir();
    let now = 1_000_000;
    const meter = await WriteMeter.forPath(dir, () => now);
    const device = /^block device (\d+:\d+), all processes$/.exec(meter.source)?.[1];
    if (device) expect(device).toBe(await mountDevice(dir));
    else expect(meter.source).toBe('this hub process only');
    const ownBefore = await processWriteBytes();

    await writeFlushed(join(dir, 'segment.bin'), 8 * MB);
    now += 5 * 60_000;
    const early = await meter.read();
    expect(early.bytes).toBeGreaterThanOrEqual(8 * MB);
    expect(early.perDay).toBeNull();
    // This process's own count saw the same writes (the fallback where no block device shows).
    expect((await processWriteBytes()) ?? 0).toBeGreaterThanOrEqual((ownBefore ?? 0) + 8 * MB);

    now += 55 * 60_000;
    const hour = await meter.read();
    expect(hour.bytes).toBeGreaterThanOrEqual(early.bytes);
    expect(hour.perDay).toBe(Math.round((hour.bytes / 3_600_000) * 86_400_000));
    expect(hour.source).toBe(meter.source);
  });

  it('is in the hub health: measuring at first, then megabytes per day', async () => {
    let now = Date.now();
    t = await startTestHub({ clock: { now: () => now } });
    const owner = await ownerClient(t.url, t.setupCode);
    type Health = { components: Record<string, { status: string; message: string; details: Record<string, unknown> }> };
    let writes = (await owner.get<Health>('/api/health')).body.components.writes;
    expect(writes?.message).toMatch(/^measuring \((block device \d+:\d+, all processes|this hub process only)\)$/);
    expect(writes?.details.bytesPerDay).toBeNull();

    await writeFlushed(join(t.dataDir, 'written.bin'), 4 * MB);
    now += 2 * 3_600_000;
    // Two hours on the hub's clock: sign in again rather than rely on the session's lifetime.
    const again = new ApiClient(t.url);
    expect((await again.login(OWNER.username, OWNER.password)).status).toBe(200);
    writes = (await again.get<Health>('/api/health')).body.components.writes;
    const perDay = Number(writes?.details.bytesPerDay);
    expect(perDay).toBeGreaterThanOrEqual(4 * MB * 12);
    expect(writes?.message).toBe(`${(perDay / MB).toFixed(1)} MB written per day (${String(writes?.details.source)})`);
    expect(writes?.status).toBe('ok');
  });
});
