/**
 * The doorbell's sound: a clip made in the test with a white flash and a beep at the same
 * instants every 2 s (H.264 with B-frames and an odd GOP; sound as G.711 µ-law or AAC, as
 * doorbells send it) is served over RTSP exactly as encoded, with the server's RTCP sender
 * reports. Sound is recorded only once the installer set the camera to and the owner agreed
 * (through the API, audited); then segments and clips carry AAC, and each beep lines up with its
 * flash in the clip within 100 ms.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditModule } from '../../../hub/audit/audit-module.js';
import { EvidenceModule } from '../../../hub/evidence/evidence-module.js';
import { identityModule } from '../../../hub/identity/identity-module.js';
import { mp4HasSound } from '../../../hub/media/fmp4.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { makeFlashBeepClip } from '../../helpers/av-fixture.js';
import { plainCopy } from '../../helpers/footage.js';
import { readZip, requestBody, sha256, waitForExport } from '../evidence/fixtures.js';
import { eventsNamed, type RecorderRig, startRig, waitFor } from './harness.js';

const run = promisify(execFile);

/** Flash onsets (frames turning white) and beep onsets (10 ms windows turning loud) in a file, seconds. */
async function flashesAndBeeps(file: string): Promise<{ flashes: number[]; beeps: number[]; audioStart: number | null }> {
  const { stderr } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostats',
      '-i',
      file,
      '-filter_complex',
      '[0:v]scale=32:24,format=gray,showinfo[v];[0:a]aresample=8000,asetnsamples=n=80:p=0,astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.RMS_level[a]',
      '-map',
      '[v]',
      '-map',
      '[a]',
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const flashes: number[] = [];
  const beeps: number[] = [];
  let wasWhite = false;
  let wasLoud = false;
  let audioPts: number | null = null;
  let audioStart: number | null = null;
  for (const line of stderr.split('\n')) {
    const v = /Parsed_showinfo.*pts_time:\s*([\d.]+).* mean:\[(\d+)/.exec(line);
    if (v) {
      const white = Number(v[2]) > 200;
      if (white && !wasWhite) flashes.push(Number(v[1]));
      wasWhite = white;
      continue;
    }
    const f = /frame:\d+\s+pts:\d+\s+pts_time:([\d.]+)/.exec(line);
    if (f) {
      audioPts = Number(f[1]);
      if (audioStart === null) audioStart = audioPts;
      continue;
    }
    const level = /lavfi\.astats\.Overall\.RMS_level=(-?[\d.]+|-inf)/.exec(line);
    if (level && audioPts !== null) {
      const loud = level[1] !== '-inf' && Number(level[1]) > -20;
      if (loud && !wasLoud) beeps.push(audioPts);
      wasLoud = loud;
    }
  }
  return { flashes, beeps, audioStart };
}

async function audioCodecs(file: string): Promise<string[]> {
  // JSON: the CSV form repeats an MPEG-TS stream once per program.
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a',
    '-show_entries',
    'stream=index,codec_name',
    '-of',
    'json',
    file,
  ]);
  return ((JSON.parse(stdout) as { streams?: Array<{ codec_name: string }> }).streams ?? []).map((s) => s.codec_name);
}

describe('sound from the doorbell', () => {
  let dir = '';
  let rig: RecorderRig | null = null;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sanctuary-sound-'));
  });
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the fixture itself: every beep starts with its flash', async () => {
    const f = await flashesAndBeeps(await makeFlashBeepClip(dir, 'pcmu'));
    expect(f.flashes.length).toBe(5);
    expect(f.beeps.length).toBe(5);
    for (const [i, b] of f.beeps.entries()) expect(Math.abs(b - (f.flashes[i] ?? Number.NaN))).toBeLessThan(0.02);
  });

  for (const audio of ['pcmu', 'aac'] as const) {
    it(`${audio === 'pcmu' ? 'G.711' : 'AAC'}: no sound until the owner agrees; then segments and clips carry AAC in step with the video`, {
      timeout: 120_000,
    }, async () => {
      const fixture = await makeFlashBeepClip(dir, audio);
      // rtsp-streaming-server passes the publisher's RTP and RTCP on as they are, like a camera.
      rig = await startRig({
        server: { kind: 'js', file: fixture, audio: 'file' },
        before: [identityModule(), auditModule()],
        after: [new EvidenceModule()],
        camera: { record: { preRollSeconds: 3, postRollSeconds: 5, continuous: false, audio: true } },
      });
      const r = rig;
      const { t, recorder } = r;
      const owner = await ownerClient(t.url, t.setupCode);
      await waitFor('online', () => recorder.status('door').online, 25_000);

      // The installer set it; the owner has not answered: video only.
      const before = await owner.get<{ installerSet: boolean; ownerAgreed: boolean | null; recording: boolean; note: string }>(
        '/api/cameras/door/sound',
      );
      expect(before.body).toMatchObject({ installerSet: true, ownerAgreed: null, recording: false });
      expect(before.body.note).toMatch(/Fairhurst v Woodard/);
      const first = await waitFor('a segment', async () => (await recorder.segments.live({ cameraId: 'door' }))[0], 20_000);
      expect(await audioCodecs(join(t.dataDir, first.path))).toEqual([]);

      // Saying yes needs the note read; then the source reconnects with sound.
      expect((await owner.put('/api/cameras/door/sound', { agree: true })).status).toBe(400);
      const yes = await owner.put<{ recording: boolean }>('/api/cameras/door/sound', { agree: true, understood: true });
      expect(yes.status).toBe(200);
      expect(yes.body.recording).toBe(true);
      const agreed = (await t.hub.core.audit.entries()).find((e) => e.action === 'camera.sound.agreed');
      expect(agreed?.subject).toMatchObject({ cameraId: 'door' });
      await waitFor('sound in the stream', () => recorder.hasAudio('door') === true, 20_000);
      const since = t.hub.core.clock.now();
      const withSound = await waitFor(
        'two segments with sound',
        async () => {
          const segs = (await recorder.segments.live({ cameraId: 'door' })).filter((s) => s.startTs >= since);
          return segs.length >= 2 ? segs : null;
        },
        25_000,
      );
      for (const s of withSound) expect(await audioCodecs(join(t.dataDir, s.path)), s.path).toEqual(['aac']);
      // Sound and picture are put on one clock by the camera's RTCP sender reports; until both
      // tracks have had one, ffmpeg starts each track at its first packet and they may be
      // apart (measured up to 0.5 s, for the first seconds of a connection; README: known limits).
      // The clip below is cut once the stream has run long enough for both.
      await waitFor(
        'sound for 14 s',
        async () => {
          const segs = (await recorder.segments.live({ cameraId: 'door' })).filter((s) => s.startTs >= since);
          return segs.reduce((sum, s) => sum + s.endTs - s.startTs, 0) >= 14_000;
        },
        30_000,
      );

      // A clip of 8 s or more: four flashes at least, each with its beep.
      const pending = recorder.requestClip('door', 'api');
      const saved = await waitFor('clip.saved', () => eventsNamed(r, 'clip.saved').find((e) => e.clipId === pending.clipId), 40_000);
      const clip = await t.hub.core.footage.clip(saved.clipId);
      if (!clip) throw new Error('clip not stored');
      // Sealed on the card: a plain copy, opened with the hub's key, for ffprobe.
      const file = await plainCopy(t, clip.path);
      expect(await audioCodecs(file)).toEqual(['aac']);
      expect(await mp4HasSound(file)).toBe(true);
      const { flashes: all, beeps, audioStart } = await flashesAndBeeps(file);
      // A clip starts at a video keyframe; its sound may start up to an audio frame later (or,
      // in the first segment after sound was turned on, after the encoder's start): a flash
      // before the sound starts has no beep to compare with.
      if (audioStart === null) throw new Error('no sound in the clip');
      const flashes = all.filter((fl) => fl > audioStart + 0.05);
      expect(flashes.length, `flashes ${all.join(', ')}, sound from ${audioStart}`).toBeGreaterThanOrEqual(3);
      const offsets = flashes.map((fl) => {
        const near = beeps.reduce((best, b) => (Math.abs(b - fl) < Math.abs(best - fl) ? b : best), Number.POSITIVE_INFINITY);
        return near - fl;
      });
      // Every flash has its beep within 100 ms (sound after picture is positive).
      for (const o of offsets) expect(Math.abs(o), `beep minus flash: ${offsets.map((x) => x.toFixed(3)).join(', ')} s`).toBeLessThan(0.1);

      if (audio === 'pcmu') {
        // The clip reaches an officer bit-for-bit, and the package says it has sound.
        const original = await readFile(file);
        expect(sha256(original)).toBe(clip.sha256);
        const police = await invitedClient(t.url, owner, 'police', 'pc-jones');
        const req = await police.post<{ request: { id: string } }>(
          '/api/requests',
          requestBody(clip.startTs - 1000, clip.endTs + 500, { cameraIds: ['door'] }),
        );
        expect(req.status).toBe(200);
        const id = req.body.request.id;
        expect((await owner.post(`/api/requests/${id}/approve`, { note: 'what was said at the door' })).status).toBe(200);
        expect((await waitForExport(owner, id, 60_000)).state).toBe('ready');
        const tok = await police.post<{ url: string }>(`/api/requests/${id}/download-token`);
        const res = await fetch(`${t.url}${tok.body.url}`, { headers: { cookie: police.sessionCookie ?? '' } });
        const zipPath = join(dir, 'package.zip');
        await writeFile(zipPath, Buffer.from(await res.arrayBuffer()));
        const files = new Map(await readZip(zipPath));
        expect(files.get(`clips/${clip.id}.mp4`)?.equals(original)).toBe(true);
        const manifest = JSON.parse(files.get('manifest.json')?.toString() ?? '{}') as {
          files: Array<{ path: string; kind: string; sound?: boolean }>;
        };
        expect(manifest.files.find((f) => f.path === `clips/${clip.id}.mp4`)?.sound).toBe(true);
        const recordings = manifest.files.filter((f) => f.kind === 'recording');
        expect(recordings.length).toBeGreaterThan(0);
        for (const rec of recordings) expect(rec.sound, rec.path).toBe(true);
        expect(files.get('README.txt')?.toString()).toContain(`clips/${clip.id}.mp4: video and sound (AAC)`);
      }

      // She takes it back: audited, and the stream goes back to video only.
      const no = await owner.put<{ recording: boolean }>('/api/cameras/door/sound', { agree: false });
      expect(no.body.recording).toBe(false);
      expect((await t.hub.core.audit.entries()).some((e) => e.action === 'camera.sound.declined')).toBe(true);
      await waitFor('video only again', () => recorder.hasAudio('door') === false, 20_000);
    });
  }
});
