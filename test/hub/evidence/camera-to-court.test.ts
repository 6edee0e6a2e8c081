/**
 * The whole path an officer's evidence takes: a real RTSP camera (the simulator looping a
 * doorbell recording) -> the recorder's ffmpeg -> a hashed clip -> a police request -> the
 * owner's approval -> the signed export -> the officer's download -> `sanctuary verify` run as
 * a separate process on the downloaded zip, checked against the fingerprint the hub shows.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventMap } from '../../../hub/api/events.js';
import { auditModule } from '../../../hub/audit/audit-module.js';
import { EvidenceModule } from '../../../hub/evidence/evidence-module.js';
import { identityModule } from '../../../hub/identity/identity-module.js';
import { RecorderModule } from '../../../hub/recorder/recorder-module.js';
import { SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { footageBytes } from '../../helpers/footage.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { readZip, requestBody, sha256, waitForExport } from './fixtures.js';

const run = promisify(execFile);
const DOORBELL = fileURLToPath(new URL('../../fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));

describe('from the camera to court', () => {
  let server: SimRtspServer | null = null;
  let t: TestHub | null = null;
  let detach: (() => void) | null = null;
  afterEach(async () => {
    detach?.();
    await t?.close();
    await server?.stop();
    t = null;
    server = null;
    detach = null;
  });

  it('a clip recorded from a real RTSP camera reaches the officer as a package that sanctuary verify accepts', {
    timeout: 90_000,
  }, async () => {
    server = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL, mount: '/doorbell' });
    await server.start();
    const recorder = new RecorderModule();
    t = await startTestHub({
      modules: [identityModule(), auditModule(), recorder, new EvidenceModule()],
      config: {
        recorder: { segmentSeconds: 2, offlineAfterSeconds: 3, minFreeBytes: 0, retentionIntervalSeconds: 3600 },
        cameras: [
          {
            id: 'door',
            name: 'Front door camera',
            kind: 'doorbell',
            source: { type: 'rtsp', mainUrl: server.url, subUrl: null, snapshotUrl: null },
            detect: { enabled: false },
            record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false },
          },
        ],
      },
    });
    const hub = t;
    detach = hub.hub.core.cameraAttachments.attach({
      cameraId: 'door',
      mainUrl: server.url,
      subUrl: null,
      snapshotUrl: null,
      username: null,
      password: null,
    });
    const saved = new Promise<EventMap['clip.saved']>((resolve) => {
      const off = hub.hub.bus.on('clip.saved', 'test', (e) => {
        off();
        resolve(e);
      });
    });
    // Wait for the rolling buffer, then the doorbell is pressed: the recorder cuts a clip.
    const until = Date.now() + 30_000;
    while ((await recorder.segments.live({ cameraId: 'door' })).length < 2) {
      if (Date.now() > until) throw new Error('the recorder wrote no segments');
      await new Promise((r) => setTimeout(r, 200));
    }
    hub.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'door' });
    const clipEvent = await saved;
    const clip = await hub.hub.core.footage.clip(clipEvent.clipId);
    if (!clip) throw new Error('clip not stored');
    // Sealed on the card; the hash stored at write is the MP4's own, opened with the hub's boot key.
    const original = await footageBytes(hub, clip.path);
    expect(sha256(original)).toBe(clip.sha256);

    const owner = await ownerClient(hub.url, hub.setupCode);
    const police = await invitedClient(hub.url, owner, 'police', 'pc-jones');
    const req = await police.post<{ request: { id: string } }>(
      '/api/requests',
      requestBody(clip.startTs - 60_000, clip.endTs + 1_000, { cameraIds: ['door'] }),
    );
    expect(req.status).toBe(200);
    const id = req.body.request.id;
    const pending = await owner.get<{ clips: Array<{ id: string }> }>(`/api/requests/${id}`);
    expect(pending.body.clips.map((c) => c.id)).toContain(clip.id);
    expect((await owner.post(`/api/requests/${id}/approve`, { note: 'for the court' })).status).toBe(200);
    expect((await waitForExport(owner, id)).state).toBe('ready');

    const tok = await police.post<{ url: string }>(`/api/requests/${id}/download-token`);
    expect(tok.status).toBe(200);
    const res = await fetch(`${hub.url}${tok.body.url}`, { headers: { cookie: police.sessionCookie ?? '' } });
    expect(res.status).toBe(200);
    const zipPath = join(hub.dataDir, 'downloaded-by-officer.zip');
    await writeFile(zipPath, Buffer.from(await res.arrayBuffer()));

    // The recorder's file is in the package bit-for-bit.
    const files = new Map(await readZip(zipPath));
    expect(files.get(`clips/${clip.id}.mp4`)?.equals(original)).toBe(true);

    const { hubFingerprint } = (await (await fetch(`${hub.url}/api`)).json()) as { hubFingerprint: string };
    const verified = await run('node', ['--import', 'tsx', 'app/main.ts', 'verify', zipPath, '--fingerprint', hubFingerprint], {
      cwd: process.cwd(),
    });
    expect(verified.stdout).toContain(`ok    clips/${clip.id}.mp4: SHA-256 ${clip.sha256}`);
    expect(verified.stdout).toContain('ok    manifest.sig: Ed25519 signature of manifest.json verifies');
    expect(verified.stdout).toMatch(/ok {4}custody\.json: \d+ audit entries/);
    expect(verified.stdout).toContain('VERIFIED');

    // The export's progress, as `sanctuary exports` shows it on the hub machine.
    const listed = await run('node', ['--import', 'tsx', 'app/main.ts', 'exports', '--data-dir', hub.dataDir], { cwd: process.cwd() });
    expect(listed.stdout).toMatch(/\[#{20}\] 100% {2}ready, [\d.]+ MB/);

    const actions = (await hub.hub.core.audit.entries()).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['clip.saved', 'request.created', 'request.approved', 'export.ready', 'download.succeeded']),
    );
  });
});
