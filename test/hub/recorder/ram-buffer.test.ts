/**
 * The rolling buffer in RAM with a real camera (RTSP + ffmpeg): segments land in the tmpfs behind
 * `<data dir>/ram`, nothing of the buffer is written under the data folder itself; a clip is cut
 * from the RAM segments onto the card; a segment under an evidence hold is copied to the card
 * (same bytes) and the index points at the copy.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { footageBytes } from '../../helpers/footage.js';
import { eventsNamed, type RecorderRig, startRig, waitFor } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('RAM segment buffer', () => {
  let rig: RecorderRig | null = null;
  let shm = '';
  afterEach(async () => {
    await rig?.close();
    rig = null;
    if (shm) await rm(shm, { recursive: true, force: true });
    shm = '';
  });

  it('keeps the buffer in RAM and writes only kept footage to the card', { timeout: 90_000 }, async () => {
    shm = await mkdtemp('/dev/shm/sanctuary-test-');
    rig = await startRig({ recorder: { ramBuffer: { enabled: true, dir: shm } } });
    const { recorder, t } = rig;
    const dataDir = t.dataDir;
    expect((await lstat(join(dataDir, 'ram'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dataDir, 'ram'))).toMatch(new RegExp(`^${shm}/sanctuary-[0-9a-f]{12}$`));
    expect(t.hub.health.get('recorder:ram-buffer')?.message).toMatch(/rolling buffer in RAM/);

    const segs = await waitFor(
      'two segments',
      async () => {
        const s = await recorder.segments.live({ cameraId: 'door' });
        return s.length >= 2 ? s : null;
      },
      25_000,
    );
    for (const s of segs) {
      expect(s.path).toMatch(/^ram\/segments\/door\//);
      expect(existsSync(join(await readlink(join(dataDir, 'ram')), s.path.slice('ram/'.length)))).toBe(true);
    }
    expect(existsSync(join(dataDir, 'segments'))).toBe(false);

    // A clip is cut from the RAM buffer onto the card.
    recorder.requestClip('door', 'api');
    const clip = await waitFor('clip', () => eventsNamed(rig as RecorderRig, 'clip.saved')[0], 25_000);
    const rec = await t.hub.core.footage.clip(clip.clipId);
    expect(rec?.path).toMatch(/^clips\/door\/.*\.mp4\.age$/);
    expect(sha(await footageBytes(t, rec?.path ?? ''))).toBe(rec?.sha256);

    // Evidence marked over the first segment: it is sealed to the card, byte for byte inside.
    const first = segs[0];
    if (!first) throw new Error('no segment');
    const ramBytes = await readFile(join(dataDir, first.path));
    t.hub.bus.emit('evidence.marked', { source: 'test', fromTs: first.startTs, toTs: first.endTs, reason: 'test hold' });
    await waitFor('hold', async () => (await t.hub.core.footage.activeHolds()).length === 1);
    await recorder.requestRetention();
    const moved = (await recorder.segments.live({ cameraId: 'door' })).find((s) => s.id === first.id);
    expect(moved?.path).toMatch(/^segments\/door\/.*\.ts\.age$/);
    expect((await readFile(join(dataDir, moved?.path ?? ''))).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(sha(await footageBytes(t, moved?.path ?? ''))).toBe(sha(ramBytes));
    // Unheld buffer footage is still only in RAM.
    const live = await recorder.segments.live({ cameraId: 'door' });
    expect(live.filter((s) => s.path.startsWith('ram/')).length).toBeGreaterThan(0);
  });
});
