/**
 * Unaltered evidence: the stored snapshot is the decoded frame pixel for pixel (lossless PNG,
 * written by the real snapshot worker thread); the box is drawn only on a separate working copy.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { annotate } from '../../detectors/snapshot-image.js';
import { SnapshotWriter } from '../../detectors/snapshot-writer.js';
import { newKeyPair, SealedFile } from '../../hub/vault/age-file.js';
import { recipientSealer } from '../../hub/vault/sealer.js';
import { tempDir } from '../helpers/hub.js';
import { LogCapture } from '../helpers/log-capture.js';
import { clipFrames, imageFrame } from './fixture-media.js';

describe('person snapshots keep the original frame untouched', () => {
  let dir = '';
  let writer: SnapshotWriter | null = null;
  afterAll(async () => {
    await writer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const box = { x1: 0.2, y1: 0.15, x2: 0.55, y2: 0.9 };

  it('stores the frame pixel for pixel as PNG, gray and rgb24 alike, and names the working copy apart', async () => {
    dir = await tempDir();
    // The hub seals what the detector keeps: here to a key the test holds, to read it back.
    const key = newKeyPair();
    writer = new SnapshotWriter(
      join(dir, 'snapshots'),
      new LogCapture().logger,
      recipientSealer(() => [key.recipient]),
    );
    const read = async (path: string) => (await SealedFile.open(path, [key.identity])).readAll();
    const [clip] = await clipFrames('people-walking-768x576-10fps.mp4', {
      cameraId: 'c',
      fps: 5,
      width: 640,
      height: 480,
      seconds: 0.2,
      startTs: 0,
    });
    for (const [i, frame] of [clip!, imageFrame('two-people-grayscale-doorway.png', 'gray')].entries()) {
      const before = Uint8Array.from(frame.data);
      const saved = await writer.save('cam', `trk_${i}`, 1_700_000_000_000 + i, frame, [box], 80);
      // The caller's frame is not touched either.
      expect(Buffer.from(frame.data).equals(Buffer.from(before))).toBe(true);
      expect(saved.original.path).toMatch(/_trk_\d\.png\.age$/);
      expect(saved.annotated?.path).toMatch(/_trk_\d\.annotated\.jpg\.age$/);
      // Nothing readable on the card: the files are age files, not PNG or JPEG.
      expect((await readFile(saved.original.path)).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      const pngBytes = await read(saved.original.path);
      expect(createHash('sha256').update(pngBytes).digest('hex')).toBe(saved.original.sha256);
      const png = PNG.sync.read(pngBytes);
      expect([png.width, png.height]).toEqual([frame.width, frame.height]);
      const ch = frame.format === 'rgb24' ? 3 : 1;
      let mismatches = 0;
      for (let p = 0; p < frame.width * frame.height; p++) {
        for (let c = 0; c < 3; c++) if (png.data[p * 4 + c] !== frame.data[p * ch + (ch === 3 ? c : 0)]) mismatches++;
      }
      expect(mismatches).toBe(0);
      // The working copy is a JPEG that shows the box (red outline) where the original does not.
      const annotated = jpeg.decode(await read(saved.annotated!.path), { useTArray: true });
      const x = Math.round(box.x1 * (frame.width - 1)) + 1;
      const y = Math.round(((box.y1 + box.y2) / 2) * (frame.height - 1));
      const o = (y * frame.width + x) * 4;
      expect(annotated.data[o]!).toBeGreaterThan(180);
      expect(annotated.data[o + 1]!).toBeLessThan(110);
    }
  }, 60_000);

  it('the working copy differs from the frame only on the box outline', () => {
    const frame = imageFrame('person-footballer.jpg', 'rgb24');
    const copy = annotate(frame, [box]);
    const t = Math.max(2, Math.round(Math.min(frame.width, frame.height) / 160));
    const x1 = Math.round(box.x1 * (frame.width - 1));
    const y1 = Math.round(box.y1 * (frame.height - 1));
    const x2 = Math.round(box.x2 * (frame.width - 1));
    const y2 = Math.round(box.y2 * (frame.height - 1));
    let changed = 0;
    let offOutline = 0;
    for (let y = 0; y < frame.height; y++) {
      for (let x = 0; x < frame.width; x++) {
        const i = (y * frame.width + x) * 3;
        const differs = copy[i] !== frame.data[i] || copy[i + 1] !== frame.data[i + 1] || copy[i + 2] !== frame.data[i + 2];
        if (!differs) continue;
        changed++;
        const inBox = x >= x1 && x <= x2 && y >= y1 && y <= y2;
        const inInner = x >= x1 + t && x <= x2 - t && y >= y1 + t && y <= y2 - t;
        if (!inBox || inInner) offOutline++;
      }
    }
    expect(changed).toBeGreaterThan(2 * (x2 - x1) + 2 * (y2 - y1));
    expect(offOutline).toBe(0);
  });
});
