import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { footageBytes, plainCopy } from '../../helpers/footage.js';
import { decodeErrors, eventsNamed, probe, type RecorderRig, startRig, waitFor } from './harness.js';

describe('recorder against a real RTSP server', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  for (const kind of ['gstreamer', 'js'] as const) {
    const transport = kind === 'gstreamer' ? 'tcp' : 'udp';
    it(`connects over ${transport.toUpperCase()} (${kind} server), writes segments and cuts a hashed clip with pre- and post-roll`, {
      timeout: 60_000,
    }, async () => {
      rig = await startRig({ server: { kind } });
      const { t, recorder } = rig;
      // Segments appear in the rolling buffer.
      await waitFor('two segments', async () => (await recorder.segments.live({ cameraId: 'door' })).length >= 2, 25_000);
      expect(recorder.status('door')).toMatchObject({ online: true, recording: true, transport });
      expect(t.hub.core.health.get('camera:door')?.status).toBe('ok');
      for (const seg of await recorder.segments.live({ cameraId: 'door' })) {
        // The rolling buffer (RAM, or here the test's data folder) is plain: ffmpeg writes it.
        expect(seg.path).not.toMatch(/\.age$/);
        const p = await probe(join(t.dataDir, seg.path));
        expect(p.codec).toBe('h264');
        expect(p.width).toBe(768);
        expect(seg.endTs - seg.startTs).toBeGreaterThan(500);
      }

      // A trigger through the API: pre-roll 3 s + post-roll 3 s around the request.
      const pending = recorder.requestClip('door', 'api');
      const saved = await waitFor('clip.saved', () => eventsNamed(rig as RecorderRig, 'clip.saved')[0], 25_000);
      expect(saved.clipId).toBe(pending.clipId);
      const clip = await t.hub.core.footage.clip(saved.clipId);
      if (!clip) throw new Error('clip not stored');
      // On the card the clip is sealed (age); the hub opens it with its boot key.
      expect(clip.path).toMatch(/\.mp4\.age$/);
      expect((await readFile(join(t.dataDir, clip.path))).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      const file = await plainCopy(t, clip.path);
      const p = await probe(file);
      expect(p.formatName).toContain('mp4');
      expect(p.codec).toBe('h264');
      expect(await decodeErrors(file)).toBe('');
      const wanted = (pending.endTs - pending.startTs) / 1000;
      const segLen = 2;
      // Covers pre-roll + event + post-roll, give or take one segment (cuts fall on keyframes):
      // it is the segments that overlap the window, no more. (The first segment of a run can be
      // longer than segmentSeconds: it holds what ffmpeg read while probing the stream.)
      expect(p.duration).toBeGreaterThanOrEqual(wanted - segLen);
      const overlapping = (await recorder.segments.live({ cameraId: 'door' })).filter(
        (sg) => sg.endTs > pending.startTs && sg.startTs < pending.endTs,
      );
      const covered = overlapping.reduce((sum, sg) => sum + (sg.endTs - sg.startTs) / 1000, 0);
      expect(p.duration).toBeLessThanOrEqual(covered + 0.5);
      expect(p.duration).toBeLessThanOrEqual(
        wanted + 2 * Math.max(segLen, ...overlapping.map((sg) => (sg.endTs - sg.startTs) / 1000)) + 0.5,
      );
      expect(clip.startTs).toBeLessThanOrEqual(pending.startTs + segLen * 1000);
      expect(clip.endTs).toBeGreaterThanOrEqual(pending.endTs - segLen * 1000);
      // The stored hash is the file's hash; the snapshot is a hashed JPEG.
      const bytes = await readFile(file);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(clip.sha256);
      expect(clip.size).toBe(bytes.length);
      expect(clip.snapshotPath).not.toBeNull();
      const jpeg = await footageBytes(t, clip.snapshotPath ?? '');
      expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(createHash('sha256').update(jpeg).digest('hex')).toBe(clip.snapshotSha256);
      // MP4 with faststart: the index (moov) comes before the media data (mdat).
      expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));
      // The audit log has the clip with its hash.
      const audit = await t.hub.core.audit.entries();
      const entry = audit.find((e) => e.action === 'clip.saved');
      expect(entry?.subject).toMatchObject({ clipId: clip.id, sha256: clip.sha256, cameraId: 'door', trigger: 'api' });
    });
  }

  it('merges overlapping triggers into one clip', async () => {
    rig = await startRig({});
    const { recorder, t } = rig;
    await waitFor('a segment', async () => (await recorder.segments.live({ cameraId: 'door' })).length >= 2, 25_000);
    const first = recorder.requestClip('door', 'api');
    await new Promise((r) => setTimeout(r, 1000));
    t.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'door' });
    const second = recorder.requestClip('door', 'person');
    expect(second.clipId).toBe(first.clipId);
    expect(second.triggers.map((x) => x.trigger)).toEqual(['api', 'doorbell', 'person']);
    await waitFor('clip.saved', () => eventsNamed(rig as RecorderRig, 'clip.saved')[0], 25_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(eventsNamed(rig, 'clip.saved')).toHaveLength(1);
  });
});
