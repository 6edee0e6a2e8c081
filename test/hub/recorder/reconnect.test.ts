import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeErrors, eventsNamed, probe, type RecorderRig, startRig, waitFor } from './harness.js';

describe('camera outage', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('raises camera.offline when the RTSP server dies, reconnects when it returns, and keeps every segment intact', {
    timeout: 90_000,
  }, async () => {
    rig = await startRig({ recorder: { offlineAfterSeconds: 3 } });
    const r = rig;
    const { recorder, server, t } = r;
    await waitFor('three segments', async () => (await recorder.segments.live({ cameraId: 'door' })).length >= 3, 30_000);
    const pidBefore = recorder.ingestPid('door');

    // Cut the camera off mid-stream.
    const cutAt = Date.now();
    await server.stop();
    const offline = await waitFor('camera.offline', () => eventsNamed(r, 'camera.offline').find((e) => e.ts >= cutAt), 20_000);
    expect(offline.cameraId).toBe('door');
    expect(offline.errorCode).toBe('HUB_ERR_CAMERA_UNREACHABLE');
    expect(offline.ts - cutAt).toBeGreaterThanOrEqual(3000 - 250);
    expect(t.hub.core.health.get('camera:door')?.status).toBe('failed');
    expect(recorder.status('door').online).toBe(false);
    const writtenBeforeCut = await recorder.segments.live({ cameraId: 'door' });

    // The camera comes back on the same address: the recorder reconnects by itself.
    await server.start();
    const online = await waitFor('camera.online', () => eventsNamed(r, 'camera.online').find((e) => e.ts > offline.ts), 30_000);
    expect(online.ts).toBeGreaterThan(offline.ts);
    expect(recorder.ingestPid('door')).not.toBe(pidBefore);
    await waitFor(
      'a segment after the outage',
      async () => (await recorder.segments.live({ cameraId: 'door' })).some((s) => s.startTs > online.ts - 500),
      20_000,
    );
    expect(t.hub.core.health.get('camera:door')?.status).toBe('ok');

    // Nothing written before the cut was lost or damaged: every file is there and decodes cleanly.
    const all = await recorder.segments.live({ cameraId: 'door' });
    for (const seg of writtenBeforeCut) expect(all.map((s) => s.id)).toContain(seg.id);
    for (const seg of all) {
      const file = join(t.dataDir, seg.path);
      const p = await probe(file);
      expect(p.codec, seg.path).toBe('h264');
      expect(p.duration, seg.path).toBeGreaterThan(0);
      expect(await decodeErrors(file), seg.path).toBe('');
    }
    // Segment times never overlap: the outage is a gap, not a rewrite.
    for (let i = 1; i < all.length; i++) expect(all[i]?.startTs ?? 0).toBeGreaterThanOrEqual((all[i - 1]?.endTs ?? 0) - 300);
  });
});
