/**
 * Recording and detection are separate consumers of one camera session: killing one (or feeding
 * it garbage) never stops the other, and the camera's RTSP session (the source ffmpeg) stays.
 * The stream is the B-frame people clip, served as encoded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../../hub/api/plugin.js';
import { type RecorderRig, startRig, waitFor } from './harness.js';
import { PEOPLE_CLIP } from './stream-variants.js';

describe('recording and detection fail independently', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  async function start(): Promise<{ rig: RecorderRig; frames: Frame[]; off: () => void }> {
    const r = await startRig({ server: { file: PEOPLE_CLIP }, camera: { detect: { enabled: true, fps: 4, width: 160, height: 120 } } });
    rig = r;
    const frames: Frame[] = [];
    const off = r.t.hub.core.frameHub.subscribe('door', 'independence-test', (f) => frames.push(f));
    await waitFor(
      'segments and frames',
      async () => frames.length >= 2 && (await r.recorder.segments.live({ cameraId: 'door' })).length >= 1,
      30_000,
    );
    return { rig: r, frames, off };
  }

  it('kills the detection decoder twice: recording carries on, detection comes back, the camera session stays', {
    timeout: 90_000,
  }, async () => {
    const { rig: r, frames, off } = await start();
    try {
      const ingest = r.recorder.ingestFor('door');
      if (!ingest) throw new Error('no ingest');
      const sourcePid = ingest.pid;
      for (let round = 0; round < 2; round++) {
        const framesPid = ingest.framesPid;
        expect(framesPid).toBeDefined();
        const segsBefore = (await r.recorder.segments.live({ cameraId: 'door' })).length;
        process.kill(framesPid as number, 'SIGKILL');
        // Recording goes on while the decoder is down and restarting.
        await waitFor(
          'two more segments',
          async () => (await r.recorder.segments.live({ cameraId: 'door' })).length >= segsBefore + 2,
          20_000,
        );
        const n = frames.length;
        await waitFor('frames again from a new decoder', () => frames.length >= n + 2 && ingest.framesPid !== framesPid, 20_000);
        expect(ingest.pid).toBe(sourcePid);
      }
      expect(r.recorder.status('door')).toMatchObject({ online: true, recording: true });
      expect(r.t.hub.core.health.get('camera:door:frames')?.status).toBe('ok');
      expect(r.events.filter((e) => e.name === 'camera.offline')).toHaveLength(0);
    } finally {
      off();
    }
  });

  it('kills the segment recorder: frames keep reaching the detector, recording resumes in new files', { timeout: 90_000 }, async () => {
    const { rig: r, frames, off } = await start();
    try {
      const ingest = r.recorder.ingestFor('door');
      if (!ingest) throw new Error('no ingest');
      const sourcePid = ingest.pid;
      const recorderPid = ingest.recorderPid;
      const before = await r.recorder.segments.live({ cameraId: 'door' });
      process.kill(recorderPid as number, 'SIGKILL');
      const n = frames.length;
      await waitFor('frames while the recorder is down', () => frames.length >= n + 4, 20_000);
      await waitFor('a new recorder', () => ingest.recorderPid !== undefined && ingest.recorderPid !== recorderPid, 20_000);
      await waitFor(
        'segments from the new recorder',
        async () =>
          (await r.recorder.segments.live({ cameraId: 'door' })).filter((s) => !before.some((b) => b.path === s.path)).length >= 2,
        30_000,
      );
      expect(ingest.pid).toBe(sourcePid);
      // A restarted recorder never reuses (overwrites) an earlier file name.
      const paths = (await r.recorder.segments.live({ cameraId: 'door' })).map((s) => s.path);
      expect(new Set(paths).size).toBe(paths.length);
    } finally {
      off();
    }
  });

  it('garbage into the detection decoder: it fails and restarts, recording is untouched', { timeout: 90_000 }, async () => {
    const { rig: r, frames, off } = await start();
    try {
      const ingest = r.recorder.ingestFor('door');
      if (!ingest) throw new Error('no ingest');
      const framesPid = ingest.framesPid;
      const segsBefore = (await r.recorder.segments.live({ cameraId: 'door' })).length;
      // Bytes that are no MP4 box at all, written into the decoder's input mid-stream.
      ingest.injectIntoFrames(Buffer.alloc(64 * 1024, 0xa5));
      await waitFor('a new decoder after the garbage', () => ingest.framesPid !== undefined && ingest.framesPid !== framesPid, 20_000);
      const n = frames.length;
      await waitFor('frames again', () => frames.length >= n + 2, 20_000);
      await waitFor(
        'recording went on',
        async () => (await r.recorder.segments.live({ cameraId: 'door' })).length >= segsBefore + 2,
        20_000,
      );
      for (const f of frames) expect(f.data.length).toBe(160 * 120 * 3);
    } finally {
      off();
    }
  });
});
