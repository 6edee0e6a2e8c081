/**
 * Fast start (probe-memory.ts): a reconnect to a camera whose frames the last connection saw in
 * display order probes only the first packet; a stream that turns out to carry B-frames is
 * reconnected with the full probe; what is recorded either way decodes cleanly.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LEARN_FRAGMENTS, learnedStreamsFile } from '../../../hub/recorder/probe-memory.js';
import { tempDir } from '../../helpers/hub.js';
import { decodeErrors, eventsNamed, probe, type RecorderRig, startRig, waitFor } from './harness.js';
import { PEOPLE_CLIP } from './stream-variants.js';

describe('fast start', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('probes fast after a connection without B-frames, and in full again once the camera sends them', { timeout: 120_000 }, async () => {
    rig = await startRig({ recorder: { offlineAfterSeconds: 2 } });
    const r = rig;
    const { recorder, server } = r;
    const ingest = () => {
      const i = recorder.ingestFor('door');
      if (!i) throw new Error('no ingest for the camera');
      return i;
    };
    await waitFor('the first connection learns the stream', () => ingest().fragments > LEARN_FRAGMENTS + 5, 30_000);
    expect(ingest().fastProbe).toBe(false);

    // The camera drops off and returns: the reconnect probes one packet and streams.
    const cut1 = Date.now();
    await server.stop();
    await waitFor('camera.offline', () => eventsNamed(r, 'camera.offline').find((e) => e.ts >= cut1), 20_000);
    await server.start();
    const back1 = await waitFor('camera.online', () => eventsNamed(r, 'camera.online').find((e) => e.ts > cut1), 30_000);
    expect(ingest().fastProbe).toBe(true);
    await waitFor(
      'a segment after the fast reconnect',
      async () => (await recorder.segments.live({ cameraId: 'door' })).some((s) => s.startTs > back1.ts - 500),
      20_000,
    );

    // The installer turns B-frames on: the fast connection sees frames out of order and
    // reconnects with the full probe.
    const cut2 = Date.now();
    await server.stop();
    await waitFor('camera.offline again', () => eventsNamed(r, 'camera.offline').find((e) => e.ts >= cut2), 20_000);
    server.serve(PEOPLE_CLIP);
    await server.start();
    const back2 = await waitFor('camera.online again', () => eventsNamed(r, 'camera.online').find((e) => e.ts > cut2), 30_000);
    await waitFor('reconnected with the full probe', () => !ingest().fastProbe && ingest().isOnline, 20_000);
    const fullFrom = Date.now();
    await waitFor(
      'two segments of the B-frame stream',
      async () => (await recorder.segments.live({ cameraId: 'door' })).filter((s) => s.startTs >= fullFrom).length >= 2,
      30_000,
    );
    expect(back2.ts).toBeGreaterThan(cut2);
    const atFull = ingest().fragments;
    await waitFor('the full connection learns the B-frame stream', () => ingest().fragments > atFull + LEARN_FRAGMENTS + 5, 30_000);

    // A B-frame stream is never probed fast: the next reconnect probes in full from the start.
    const cut3 = Date.now();
    await server.stop();
    await waitFor('camera.offline a third time', () => eventsNamed(r, 'camera.offline').find((e) => e.ts >= cut3), 20_000);
    await server.start();
    await waitFor('camera.online a third time', () => eventsNamed(r, 'camera.online').find((e) => e.ts > cut3), 30_000);
    expect(ingest().fastProbe).toBe(false);

    // Every segment, from either kind of start, decodes without an error.
    const all = await recorder.segments.live({ cameraId: 'door' });
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const seg of all) {
      const file = join(r.t.dataDir, seg.path);
      const p = await probe(file);
      expect(p.codec, seg.path).toBe('h264');
      expect(await decodeErrors(file), seg.path).toBe('');
    }
  });

  it('keeps what it learned across a restart: the first connection after it starts fast', { timeout: 90_000 }, async () => {
    const dataDir = await tempDir();
    try {
      rig = await startRig({ dataDir });
      const first = rig.recorder.ingestFor('door');
      await waitFor('the stream learned', () => (first?.fragments ?? 0) > LEARN_FRAGMENTS + 5, 30_000);
      expect(first?.fastProbe).toBe(false);
      await rig.close();
      // The kept file says only which streams had no B-frames: no address, no password.
      const kept = JSON.parse(await readFile(learnedStreamsFile(dataDir, 'door'), 'utf8')) as unknown;
      expect(kept).toEqual({ main: true });

      rig = await startRig({ dataDir });
      const r = rig;
      await waitFor('online after the restart', () => r.recorder.status('door').online, 30_000);
      expect(r.recorder.ingestFor('door')?.fastProbe).toBe(true);
      const seg = await waitFor(
        'a segment after the restart',
        async () => (await r.recorder.segments.live({ cameraId: 'door' }))[0],
        20_000,
      );
      expect(await decodeErrors(join(dataDir, seg.path))).toBe('');
    } finally {
      await rig?.close();
      rig = null;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
