/**
 * The stream matrix: each stream is encoded from the people fixture clip the way some camera
 * sends it, served as it is (no re-encode) by GStreamer's RTSP server, and ingested by a real
 * hub. For each: segments are written and play, their codec and B-frames are as sent (copied,
 * not re-encoded), and detection frames arrive and show the person (the real detector worker). CI runs a short matrix; `STREAM_MATRIX=full`
 * adds the long-GOP, 1080p/4K and 30 fps streams.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DetectorClient } from '../../../detectors/detector-client.js';
import { defaultModelPath } from '../../../detectors/plugin.js';
import { filterPersons } from '../../../detectors/zones.js';
import type { Frame } from '../../../hub/api/plugin.js';
import type { SimAudioCodec } from '../../../hub/sim/rtsp-server.js';
import { plainCopy } from '../../helpers/footage.js';
import { LogCapture } from '../../helpers/log-capture.js';
import { decodeErrors, eventsNamed, probe, type RecorderRig, startRig, waitFor } from './harness.js';
import { buildVariant, type StreamVariant, streamFacts, variant } from './stream-variants.js';

const FULL = process.env.STREAM_MATRIX === 'full';
const base = { width: 768, height: 576, fps: 10, seconds: 6, openGop: false, keyframeSeconds: 1, bframes: 0 } as const;

interface Case {
  v: StreamVariant;
  transport?: 'tcp' | 'udp';
  auth?: 'basic' | 'digest';
  audio?: SimAudioCodec;
  clip?: boolean;
  /** A sub stream (the camera's second profile) that detection reads instead of the main one. */
  sub?: StreamVariant;
}

const CASES: Case[] = [
  { v: variant({ ...base, codec: 'h264', profile: 'baseline' }), auth: 'basic' },
  { v: variant({ ...base, codec: 'h264', profile: 'main', bframes: 2 }), audio: 'aac', clip: true },
  { v: variant({ ...base, codec: 'h264', profile: 'high', bframes: 3, openGop: true }), transport: 'udp', audio: 'pcmu' },
  { v: variant({ ...base, codec: 'hevc', bframes: 2 }), auth: 'digest', audio: 'opus', clip: true },
  { v: variant({ ...base, codec: 'h264', profile: 'high', bframes: 2, width: 1280, height: 720, fps: 15, seconds: 4 }), audio: 'pcma' },
  {
    v: variant({ ...base, codec: 'h264', profile: 'high', bframes: 2, width: 1280, height: 720, fps: 15, seconds: 4 }),
    sub: variant({ ...base, codec: 'h264', profile: 'main', bframes: 2, width: 384, height: 288, fps: 10, seconds: 6 }),
    auth: 'digest',
  },
];
const FULL_CASES: Case[] = [
  { v: variant({ ...base, codec: 'h264', profile: 'main', bframes: 2, keyframeSeconds: 10, seconds: 20 }) },
  { v: variant({ ...base, codec: 'h264', profile: 'high', bframes: 3, width: 1920, height: 1080, fps: 30, seconds: 4 }) },
  { v: variant({ ...base, codec: 'h264', profile: 'high', bframes: 2, width: 3840, height: 2160, fps: 10, seconds: 2 }) },
  { v: variant({ ...base, codec: 'hevc', bframes: 3, openGop: true, width: 3840, height: 2160, fps: 10, seconds: 2 }) },
];

/**
 * A file cut at an open GOP's I-frame starts with B-frames that refer to the GOP before it: the
 * decoder names those missing references (and only those) once or twice at the start. Anything
 * else, or any complaint on a closed-GOP stream, is corruption.
 */
function expectCleanDecode(errors: string, openGop: boolean): void {
  if (!openGop) {
    expect(errors).toBe('');
    return;
  }
  const lines = errors ? errors.split('\n') : [];
  expect(lines.length).toBeLessThanOrEqual(3);
  for (const l of lines)
    expect(l).toMatch(/mmco: unref short failure|co located POCs unavailable|reference picture missing|Missing reference picture/);
}

/** Detection frames at the size a Pi camera pipeline would use for a 512x512 model (letterboxed). */
const DETECT = { width: 384, height: 288 };

describe('stream matrix: the hub ingests streams as cameras send them', () => {
  let rig: RecorderRig | null = null;
  let detector: DetectorClient;
  const detectorLogs = new LogCapture();
  beforeAll(async () => {
    detector = new DetectorClient({
      init: { backend: 'auto', modelPath: defaultModelPath(), outputName: 'tower_0/detections' },
      log: detectorLogs.logger,
      maxRestartDelayMs: 1000,
    });
    await detector.start();
  }, 60_000);
  afterAll(async () => {
    await detector?.stop();
  });
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  /** The best person score over the frames (each one through the real model), stopping at the first sure one. */
  async function bestPerson(frames: Frame[]): Promise<number> {
    let best = 0;
    for (const f of frames) {
      const found = filterPersons((await detector.detect(f)).detections, 0, { minScore: 0.4, minArea: 0, maxArea: 1, masks: [] });
      best = Math.max(best, ...found.map((p) => p.score));
      if (best >= 0.5) break;
    }
    return best;
  }

  for (const c of FULL ? [...CASES, ...FULL_CASES] : CASES) {
    const label = `${c.v.name}${c.sub ? ` with a ${c.sub.name} sub stream for detection` : ''} over ${(c.transport ?? 'tcp').toUpperCase()}${c.auth ? ` with ${c.auth} auth` : ''}${c.audio ? ` and ${c.audio} audio` : ''}`;
    it(label, { timeout: 120_000 }, async () => {
      const file = await buildVariant(c.v);
      const sent = await streamFacts(file);
      expect(sent.codec).toBe(c.v.codec);
      expect(sent.hasBFrames).toBe(c.v.bframes > 0 && c.v.profile !== 'baseline');
      const auth = c.auth ? { username: 'installer', password: 'pa:ss@word', authMethod: c.auth } : {};
      const subFile = c.sub ? await buildVariant(c.sub) : null;
      rig = await startRig({
        server: { file, ...auth, ...(c.audio ? { audio: c.audio } : {}) },
        ...(subFile ? { subServer: { file: subFile, ...auth } } : {}),
        recorder: { segmentSeconds: Math.max(2, c.v.keyframeSeconds), rtspTransport: c.transport ?? 'tcp' },
        camera: { detect: { enabled: true, fps: 2, ...DETECT } },
        ...(c.auth ? { username: 'installer', password: 'pa:ss@word' } : {}),
      });
      const { t, recorder } = rig;
      const frames: Frame[] = [];
      const off = t.hub.core.frameHub.subscribe('door', 'matrix-test', (f) => frames.push(f));
      try {
        const wantSegments = 2;
        await waitFor(
          `${wantSegments} segments (server: ${rig.server.serverLog.slice(-300)} feeder: ${rig.server.feederLog.slice(-300)})`,
          async () => (await recorder.segments.live({ cameraId: 'door' })).length >= wantSegments,
          60_000 + c.v.keyframeSeconds * 3000,
        );
        expect(recorder.status('door')).toMatchObject({ online: true, recording: true, transport: c.transport ?? 'tcp' });
        const ingest = recorder.ingestFor('door');
        expect(ingest?.codec).toMatch(c.v.codec === 'h264' ? /^avc[13]$/ : /^(hvc1|hev1)$/);
        for (const seg of await recorder.segments.live({ cameraId: 'door' })) {
          const path = join(t.dataDir, seg.path);
          const got = await streamFacts(path);
          // Copied as sent: same codec, profile, size, and the B-frames are still there.
          expect(got, `${seg.path} (${seg.endTs - seg.startTs} ms, ${seg.size} bytes)`).toMatchObject({
            codec: sent.codec,
            profile: sent.profile,
            width: sent.width,
            height: sent.height,
          });
          expect(got.hasBFrames).toBe(sent.hasBFrames);
          expectCleanDecode(await decodeErrors(path), c.v.openGop);
        }
        await waitFor('detection frames', () => frames.length >= 3, 20_000);
        // With a sub stream, detection reads it: its server has a client, and the ingest says so.
        if (c.sub) {
          expect(rig.subServer?.clientConnections).toBeGreaterThanOrEqual(1);
          expect(recorder.ingestFor('door')?.framesFromSub).toBe(true);
        }
        for (const f of frames) expect(f).toMatchObject({ cameraId: 'door', ...DETECT, format: 'rgb24' });
        expect(frames[0]?.data.length).toBe(DETECT.width * DETECT.height * 3);
        // The decoded pictures show the person walking in the people clip (found by the real model).
        await waitFor('six detection frames', () => frames.length >= 6, 20_000);
        expect(await bestPerson(frames.slice(0, 12))).toBeGreaterThanOrEqual(0.5);

        if (c.clip) {
          recorder.requestClip('door', 'api');
          const saved = await waitFor('clip.saved', () => eventsNamed(rig as RecorderRig, 'clip.saved')[0], 40_000);
          const clip = await t.hub.core.footage.clip(saved.clipId);
          if (!clip) throw new Error('clip not stored');
          const clipFile = await plainCopy(t, clip.path);
          const p = await probe(clipFile);
          expect(p.formatName).toContain('mp4');
          expect(p.codec).toBe(sent.codec);
          expect(p.duration).toBeGreaterThan(2);
          expectCleanDecode(await decodeErrors(clipFile), c.v.openGop);
          const clipFacts = await streamFacts(clipFile);
          expect(clipFacts.hasBFrames).toBe(sent.hasBFrames);
          // H.265 as hvc1, which QuickTime, Safari and iOS play (ffmpeg's default hev1 they do not).
          expect(clipFacts.tag).toBe(sent.codec === 'hevc' ? 'hvc1' : 'avc1');
        }
      } finally {
        off();
      }
    });
  }
});
