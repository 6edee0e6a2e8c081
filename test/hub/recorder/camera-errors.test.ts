import { afterEach, describe, expect, it } from 'vitest';
import { RecorderModule } from '../../../hub/recorder/recorder-module.js';
import { freeTcpPort } from '../../../hub/sim/rtsp-server.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { eventsNamed, type RecorderRig, startRig, waitFor } from './harness.js';

const SECRET = 'Door-Secret-9931';

describe('camera problems the installer must understand', () => {
  let rig: RecorderRig | null = null;
  let t: TestHub | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
    await t?.close();
    t = null;
  });

  it('a wrong password: HUB_ERR_CAMERA_AUTH, the password never in a log line, no crash', { timeout: 60_000 }, async () => {
    rig = await startRig({
      server: { username: 'admin', password: SECRET },
      username: 'admin',
      password: 'wrong-password-77',
      recorder: { offlineAfterSeconds: 2 },
    });
    const r = rig;
    const offline = await waitFor('camera.offline', () => eventsNamed(r, 'camera.offline')[0], 20_000);
    expect(offline.errorCode).toBe('HUB_ERR_CAMERA_AUTH');
    expect(offline.reason).toMatch(/user name or password/);
    expect(r.t.hub.core.health.get('camera:door')?.message).toMatch(/HUB_ERR_CAMERA_AUTH/);

    // The installer's "test camera" names the problem too.
    const owner = await ownerClient(r.t.url, r.t.setupCode);
    const installer = await invitedClient(r.t.url, owner, 'installer', 'ivy');
    const bad = await installer.post<{ error: { code: string; message: string } }>('/api/cameras/test', {
      source: { type: 'rtsp', mainUrl: r.server.url.replace('rtsp://', `rtsp://admin:${SECRET}x@`) },
    });
    expect(bad.status).toBe(502);
    expect(bad.body.error.code).toBe('HUB_ERR_CAMERA_AUTH');
    const good = await installer.post<{ ok: boolean; snapshot: string; via: string }>('/api/cameras/test', {
      source: { type: 'rtsp', mainUrl: r.server.url.replace('rtsp://', `rtsp://admin:${SECRET}@`) },
    });
    expect(good.status).toBe(200);
    expect(Buffer.from(good.body.snapshot, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(good.body.via).toBe('rtsp_tcp');

    // The hub still serves; no secret reached the logs (ffmpeg argv and stderr are redacted).
    expect((await fetch(`${r.t.url}/api/health`)).status).toBe(200);
    expect(r.t.logs.text()).not.toContain(SECRET);
    expect(r.t.logs.text()).not.toContain('wrong-password-77');
  });

  it('an unreachable host: HUB_ERR_CAMERA_UNREACHABLE from the recorder and from the camera test', { timeout: 60_000 }, async () => {
    const deadPort = await freeTcpPort();
    const url = `rtsp://127.0.0.1:${deadPort}/nothing`;
    t = await startTestHub({
      modules: [new RecorderModule()],
      config: {
        recorder: { segmentSeconds: 2, offlineAfterSeconds: 2, minFreeBytes: 0 },
        cameras: [{ id: 'gone', name: 'Gone', source: { type: 'rtsp', mainUrl: url }, detect: { enabled: false } }],
      },
    });
    const hub = t;
    const offline: Array<{ errorCode: string }> = [];
    hub.hub.bus.on('camera.offline', 'test', (e) => {
      offline.push(e);
    });
    hub.hub.core.cameraAttachments.attach({
      cameraId: 'gone',
      mainUrl: url,
      subUrl: null,
      snapshotUrl: null,
      username: null,
      password: null,
    });
    await waitFor('camera.offline', () => offline[0], 15_000);
    expect(offline[0]?.errorCode).toBe('HUB_ERR_CAMERA_UNREACHABLE');
    const owner = await ownerClient(hub.url, hub.setupCode);
    const res = await owner.post<{ error: { code: string; message: string } }>('/api/cameras/test', {
      source: { type: 'rtsp', mainUrl: url },
    });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('HUB_ERR_CAMERA_UNREACHABLE');
    expect(res.body.error.message).toMatch(/refused|did not answer/);
    // The owner asking for a clip of a camera that streams nothing gets a clear answer, not a hang.
    const clip = await owner.post<{ error: { code: string; message: string } }>('/api/cameras/gone/clips', {});
    expect(clip.status).toBe(502);
    expect(clip.body.error.code).toBe('HUB_ERR_CAMERA_UNREACHABLE');
    expect(clip.body.error.message).toMatch(/offline and has no recent footage/);
  });

  it('a stream without video: HUB_ERR_CAMERA_NOT_VIDEO', { timeout: 60_000 }, async () => {
    rig = await startRig({ server: { kind: 'js', audioOnly: true }, recorder: { offlineAfterSeconds: 4 } });
    const r = rig;
    const offline = await waitFor('camera.offline', () => eventsNamed(r, 'camera.offline')[0], 30_000);
    expect(offline.errorCode).toBe('HUB_ERR_CAMERA_NOT_VIDEO');
    const owner = await ownerClient(r.t.url, r.t.setupCode);
    const res = await owner.post<{ error: { code: string; message: string } }>('/api/cameras/test', {
      source: { type: 'rtsp', mainUrl: r.server.url },
    });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('HUB_ERR_CAMERA_NOT_VIDEO');
    expect(res.body.error.message).toMatch(/no video/);
  });
});
