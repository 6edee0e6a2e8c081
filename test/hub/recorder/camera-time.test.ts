/**
 * The camera's own time. GStreamer's RTSP server here keeps a camera clock set off the real time
 * (as a camera without NTP drifts) and its RTCP sender reports map RTP time to that clock. A
 * frame's camera time is when the camera stamped it; it reaches the hub after the camera's send
 * delay (the sim sends a frame 100-200 ms after stamping it, as a camera's encoder does), which is
 * steady from frame to frame. So a frame's arrival less its camera time less the camera's error
 * must be that delay: between 0 and 300 ms and the same for every frame (within tens of ms; 250 ms
 * for a loaded machine's stalls). A hub that used its own arrival time would be off by the whole
 * error; one that paired a frame with its neighbour's stamp (ffmpeg's prft boxes carry the next
 * frame's time, prft-pairing.ts) is a frame interval off, and on a B-frame stream jumps back and
 * forth by the reordering.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../../hub/api/plugin.js';
import { cameraClocks, clipFiles } from '../../../hub/evidence/package-contents.js';
import { median } from '../../../hub/recorder/prft-pairing.js';
import { openMedia } from '../../../hub/vault/media-reader.js';
import { eventsNamed, type RecorderRig, startRig, waitFor } from './harness.js';

describe("frame times from the camera's RTCP sender reports", () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  for (const offset of [7300, -4200, 0]) {
    it(`a camera clock ${offset} ms off: frames carry camera time, clips and the manifest the offset`, { timeout: 90_000 }, async () => {
      rig = await startRig({ server: { clockOffsetMs: offset }, camera: { detect: { enabled: true, fps: 5, width: 160, height: 120 } } });
      const { t, recorder } = rig;
      const frames: Frame[] = [];
      const off = t.hub.core.frameHub.subscribe('door', 'camera-time-test', (f) => frames.push(f));
      try {
        // The first frames may come before the first sender report: those say so (cameraTs null).
        const timed = await waitFor(
          '10 frames with camera time',
          () => {
            const withTime = frames.filter((f) => typeof f.cameraTs === 'number');
            return withTime.length >= 10 ? withTime : null;
          },
          30_000,
        );
        // Arrival less camera time less the camera's error: the camera's send delay, 0-300 ms and
        // steady (within 60 ms of its median for most frames, 250 ms for every frame even when a
        // loaded test machine stalls the hub's event loop at arrival). A hub that used its
        // arrival time would be off by the whole error (seconds).
        const delays = timed.map((f) => f.ts + offset - (f.cameraTs as number));
        const sendDelay = median(delays);
        const seen = `send delays ${delays.map((e) => e.toFixed(0)).join(', ')} ms`;
        expect(sendDelay, seen).toBeGreaterThanOrEqual(0);
        expect(sendDelay, seen).toBeLessThan(300);
        expect(median(delays.map((d) => Math.abs(d - sendDelay))), seen).toBeLessThan(60);
        for (const d of delays) expect(Math.abs(d - sendDelay), seen).toBeLessThan(250);
        // Once the camera's clock is known, every frame after it has its time.
        const firstTimed = frames.indexOf(timed[0] as Frame);
        expect(frames.slice(firstTimed).every((f) => typeof f.cameraTs === 'number')).toBe(true);

        // The offset kept per camera is camera time less arrival: the error less the send delay.
        const ingest = recorder.ingestFor('door');
        expect(Math.abs((ingest?.clockOffsetMs ?? Number.NaN) - (offset - sendDelay))).toBeLessThan(50);
        await waitFor('clock health', () => t.hub.core.health.get('camera:door:clock'), 20_000);
        const clockHealth = t.hub.core.health.get('camera:door:clock');
        if (Math.abs(offset) > 3000) {
          expect(clockHealth?.status).toBe('degraded');
          expect(clockHealth?.message).toContain(offset > 0 ? 'ahead of' : 'behind');
        } else expect(clockHealth?.status).toBe('ok');

        // The clip records the offset, and so does the evidence manifest's entry for it.
        await waitFor(
          'segments with the offset',
          async () => {
            const segs = await recorder.segments.live({ cameraId: 'door' });
            return segs.filter((s) => typeof s.cameraOffsetMs === 'number').length >= 2;
          },
          30_000,
        );
        recorder.requestClip('door', 'api');
        const saved = await waitFor('clip.saved', () => eventsNamed(rig as RecorderRig, 'clip.saved')[0], 40_000);
        const clip = await t.hub.core.footage.clip(saved.clipId);
        if (!clip) throw new Error('clip not stored');
        expect(Math.abs((clip.cameraOffsetMs ?? Number.NaN) - (offset - sendDelay))).toBeLessThan(50);
        const core = t.hub.core;
        const [entry] = await clipFiles(core, clip, { video: join(core.dataDir, clip.path), snapshot: null }, null, (abs) =>
          openMedia(abs, (p) => core.vault.openForHub(p)),
        );
        expect(Math.abs((entry?.entry.cameraClockOffsetMs ?? Number.NaN) - (offset - sendDelay))).toBeLessThan(50);
        const [camClock] = cameraClocks(['door'], [clip]);
        expect(Math.abs((camClock?.offsetMs ?? Number.NaN) - (offset - sendDelay))).toBeLessThan(50);
        expect(camClock?.detail).toContain('RTCP sender reports');
      } finally {
        off();
      }
    });
  }

  it('a camera sending B-frames: every frame finds its camera time, and frame times only go forward', { timeout: 90_000 }, async () => {
    // Decode order is not display order here (two B-frames deep), so the decoder hands frames out
    // later and in another order than their data came. Each must still be matched to its own
    // fragment (by its exact pts), and its timestamp follow display order on the hub's clock.
    const file = fileURLToPath(new URL('../../fixtures/media/people-walking-768x576-10fps.mp4', import.meta.url));
    rig = await startRig({ server: { file }, camera: { detect: { enabled: true, fps: 5, width: 160, height: 120 } } });
    const frames: Frame[] = [];
    const off = rig.t.hub.core.frameHub.subscribe('door', 'camera-time-test', (f) => frames.push(f));
    try {
      await waitFor('25 frames with camera time', () => frames.filter((f) => typeof f.cameraTs === 'number').length >= 25, 40_000);
      const firstTimed = frames.findIndex((f) => typeof f.cameraTs === 'number');
      const after = frames.slice(firstTimed);
      expect(after.filter((f) => f.cameraTs === null)).toEqual([]);
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.ts).toBeGreaterThan(frames[i - 1]!.ts);
      // Frames selected at 5 fps from 10: about 200 ms apart on the hub's clock, never bunched
      // up by the decoder's delay nor sent back by a B-frame's late data.
      const gaps = after
        .slice(1)
        .map((f, i) => f.ts - after[i]!.ts)
        .sort((a, b) => a - b);
      expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThan(150);
      expect(gaps[Math.floor(gaps.length / 2)], `hub-time gaps ${gaps.join(', ')} ms`).toBeLessThan(250);
      // Each frame's camera time is its own: the same distance from the hub's time for every
      // frame (both follow the frame's media time). Read with the neighbouring frame's stamp
      // (ffmpeg's prft boxes carry the next frame's time) it jumped by up to half a second.
      const apart = after.map((f) => f.ts - (f.cameraTs as number));
      const typical = median(apart);
      expect(
        median(apart.map((d) => Math.abs(d - typical))),
        `hub minus camera time ${apart.map((d) => d.toFixed(0)).join(', ')} ms`,
      ).toBeLessThan(30);
      for (const d of apart)
        expect(Math.abs(d - typical), `hub minus camera time ${apart.map((x) => x.toFixed(0)).join(', ')} ms`).toBeLessThan(150);
    } finally {
      off();
    }
  });
});
