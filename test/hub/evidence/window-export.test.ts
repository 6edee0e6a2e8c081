/**
 * A police request for a window is exported from the recorded segments, not only from event
 * clips: a real RTSP camera (the sim), the real recorder, a camera outage in the middle. The
 * request is approved while the window is still running, waits for it to pass, and the package
 * holds ~the whole window per camera (ffprobe), the camera's packets unchanged (NAL units equal
 * to the recorded segments'), the outage listed as a gap, and passes the README's checks.
 *
 * The window is 120 s of real recording (SANCTUARY_TEST_WINDOW_SECONDS shortens it locally).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { auditModule } from '../../../hub/audit/audit-module.js';
import { EvidenceModule } from '../../../hub/evidence/evidence-module.js';
import type { Manifest } from '../../../hub/evidence/package-format.js';
import { verifyPackage } from '../../../hub/evidence/package-verifier.js';
import { identityModule } from '../../../hub/identity/identity-module.js';
import type { SegmentRecord } from '../../../hub/recorder/segment-store.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { tempDir } from '../../helpers/hub.js';
import { eventsNamed, probe, type RecorderRig, startRig, waitFor } from '../recorder/harness.js';
import { download, readZip, requestBody, waitForExport } from './fixtures.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./examiner-check.sh', import.meta.url));
const WINDOW_S = Number(process.env.SANCTUARY_TEST_WINDOW_SECONDS ?? 120);
const SEG_S = 2;

/** The H.264 NAL units of a file's video, each hashed: framing (start codes, MP4 length prefixes) aside, the camera's bytes. */
async function nalUnits(path: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:v', '-c', 'copy', '-f', 'h264', '-'], {
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
  });
  const b = stdout as Buffer;
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i + 2 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      if (start >= 0) {
        let end = i;
        while (end > start && b[end - 1] === 0) end--;
        out.push(createHash('sha256').update(b.subarray(start, end)).digest('hex'));
      }
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) out.push(createHash('sha256').update(b.subarray(start)).digest('hex'));
  return out;
}

describe('a police request exports the recorded window, gaps named', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it(`exports ${WINDOW_S} s per camera from the segments, bit-for-bit, with the outage listed as a gap`, {
    timeout: (WINDOW_S + 150) * 1000,
  }, async () => {
    const evidence = new EvidenceModule();
    rig = await startRig({
      recorder: { segmentSeconds: SEG_S, offlineAfterSeconds: 3 },
      camera: { record: { preRollSeconds: 2, postRollSeconds: 2, continuous: true } },
      before: [identityModule(), auditModule()],
      after: [evidence],
      config: { evidence: { workingCopies: true } },
    });
    const r = rig;
    const { t, recorder, server } = r;
    const first = await waitFor('a segment', async () => (await recorder.segments.live({ cameraId: 'door' }))[0], 30_000);
    const fromTs = first.endTs + 500;
    const toTs = fromTs + WINDOW_S * 1000;

    const owner = await ownerClient(t.url, t.setupCode);
    const police = await invitedClient(t.url, owner, 'police', 'pc-obrien');
    const created = await police.post<{ request: { id: string } }>(
      '/api/requests',
      requestBody(fromTs, toTs, { cameraIds: ['door'], officerName: "Zoë Ó'Brien" }),
    );
    expect(created.status).toBe(200);
    const id = created.body.request.id;

    // A doorbell press inside the window: its clip goes in beside the recording.
    await waitFor('the window to start', () => Date.now() > fromTs + 3000, 10_000);
    t.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'door' });
    await waitFor('clip.saved', () => eventsNamed(r, 'clip.saved')[0], 30_000);

    // Approved while the window is still running: the export waits for it to pass.
    expect((await owner.post(`/api/requests/${id}/approve`, { note: 'for the court' })).status).toBe(200);
    const waiting = await owner.get<{ state: string; phase: string }>(`/api/requests/${id}/export`);
    expect(waiting.body).toMatchObject({ state: 'running', phase: 'waiting' });

    // The camera goes offline for a while in the middle of the window.
    await waitFor('the middle of the window', () => Date.now() > fromTs + WINDOW_S * 400, WINDOW_S * 1000);
    const cutAt = Date.now();
    await server.stop();
    const offline = await waitFor('camera.offline', () => eventsNamed(r, 'camera.offline').find((e) => e.ts >= cutAt), 20_000);
    await new Promise((res) => setTimeout(res, 6000));
    const restartAt = Date.now();
    await server.start();
    const online = await waitFor('camera.online', () => eventsNamed(r, 'camera.online').find((e) => e.ts > offline.ts), 30_000);

    // The owner sees what exists for the window, the outage included.
    const before = await owner.get<{ footage: Array<{ cameraId: string; recordedMs: number; gaps: Array<{ reason: string }> }> }>(
      `/api/requests/${id}`,
    );
    expect(before.body.footage[0]?.cameraId).toBe('door');
    expect(before.body.footage[0]?.gaps.map((g) => g.reason)).toContain('camera-offline');

    const status = await waitForExport(owner, id, WINDOW_S * 1000 + 60_000);
    expect(status.state).toBe('ready');
    const work = await tempDir('sanctuary-window-');
    const pkg = join(work, 'package.zip');
    await download(police, id, pkg);
    const fingerprint = ((await (await fetch(`${t.url}/api`)).json()) as { hubFingerprint: string }).hubFingerprint;
    const report = await verifyPackage(pkg, { expectedFingerprint: fingerprint });
    expect(report.problems).toEqual([]);
    expect(report.passed).toContain('custody.json: every recording is the file the hub hashed at the time (export.recorded entries)');
    expect(report.passed).toContain('custody.json: every clip is the file the hub hashed at the time (clip.saved entries)');
    const checks = await run('bash', [SCRIPT, pkg, fingerprint]).then(
      (x) => ({ code: 0, out: x.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    expect(checks.out).toMatch(/^15 checks, 0 failed$/m);
    expect(checks.code).toBe(0);

    const files = new Map(await readZip(pkg));
    const manifest = JSON.parse((files.get('manifest.json') as Buffer).toString('utf8')) as Manifest;
    const win = manifest.windows.find((w) => w.cameraId === 'door');
    if (!win) throw new Error('no window for the camera');
    expect(win.recordings.length).toBe(2);
    const gap = win.gaps.find((g) => g.reason === 'camera-offline');
    expect(gap, JSON.stringify(win.gaps)).toBeDefined();
    // The gap spans the time the camera was unreachable (its end is cut at the first segment after it).
    expect(gap?.fromTs ?? 0).toBeLessThanOrEqual(offline.ts);
    expect(gap?.toTs ?? 0).toBeGreaterThanOrEqual(restartAt);
    expect(gap?.toTs ?? 0).toBeLessThanOrEqual(online.ts + SEG_S * 1000);
    expect(win.gaps.filter((g) => g.reason !== 'camera-offline')).toEqual([]);
    expect((files.get('README.txt') as Buffer).toString()).toMatch(/GAP .+: camera offline/);

    // ~The whole window per camera: the recordings' own durations plus the listed gaps.
    const recs = manifest.files.filter((f) => f.kind === 'recording');
    let seconds = 0;
    const index = await recorder.segments.overlapping('door', fromTs, toTs);
    for (const f of recs) {
      const abs = join(work, f.path.replace('/', '_'));
      await writeFile(abs, files.get(f.path) as Buffer);
      const p = await probe(abs);
      expect(p.codec).toBe('h264');
      seconds += p.duration;
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'format_tags=creation_time',
        '-of',
        'default=nw=1:nk=1',
        abs,
      ]);
      expect(stdout.slice(0, 19)).toBe(f.start?.slice(0, 19));
      // Bit-for-bit: the recording's NAL units are exactly the recorded segments' NAL units.
      const segs: SegmentRecord[] = index.filter((s) => s.startTs >= (f.startTs ?? 0) && s.endTs <= (f.endTs ?? 0));
      const expected: string[] = [];
      for (const s of segs) expected.push(...(await nalUnits(join(t.dataDir, s.path))));
      const got = await nalUnits(abs);
      expect(got.length).toBeGreaterThan(100);
      expect(got).toEqual(expected);
    }
    const gapSeconds = win.gaps.reduce((n, g) => n + (g.toTs - g.fromTs) / 1000, 0);
    expect(seconds + gapSeconds).toBeGreaterThanOrEqual(WINDOW_S - SEG_S);
    expect(seconds + gapSeconds).toBeLessThanOrEqual(WINDOW_S + 2 * SEG_S + 1);
    expect(recs[0]?.startTs ?? 0).toBeGreaterThanOrEqual(fromTs - SEG_S * 1000 - 500);
    expect(recs.at(-1)?.endTs ?? 0).toBeLessThanOrEqual(toTs + SEG_S * 1000 + 500);

    // One working copy per recording, with the time burned in, named and listed as such.
    const copies = manifest.files.filter((f) => f.kind === 'working-copy');
    expect(copies.map((c) => c.workingCopyOf)).toEqual(recs.map((f) => f.path));
    expect(win.workingCopies).toEqual(copies.map((c) => c.path));
    for (const c of copies) {
      expect(c.path).toMatch(/^working-copies\/.+_working-copy\.mp4$/);
      expect(c.masterCopy).toBeUndefined();
      expect(c.processing).toMatch(/Re-encoded .* burned in/);
    }
    expect((files.get('README.txt') as Buffer).toString()).toMatch(
      /working copy working-copies\/\S+ \(time burned in, re-encoded: NOT the master\)/,
    );

    // The doorbell clip is inside, its snapshot labelled with the moment it shows.
    const clip = manifest.files.find((f) => f.kind === 'clip');
    const snap = manifest.files.find((f) => f.kind === 'snapshot');
    expect(clip).toBeDefined();
    expect(snap?.showsTs).toBeGreaterThanOrEqual(clip?.startTs ?? 0);
    expect(snap?.showsTs).toBeLessThanOrEqual(clip?.endTs ?? 0);
    expect(snap?.showsTs).not.toBe(clip?.startTs);
  });
});
