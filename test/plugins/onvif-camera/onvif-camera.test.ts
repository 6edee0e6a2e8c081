/**
 * The onvif-camera plugin against the ONVIF device simulator and a real RTSP server: it connects
 * with WS-Security credentials, hands main/sub/snapshot URIs to the recorder, turns a doorbell
 * press pulled from the PullPoint into a hub event (and so a clip), reports a wrong password
 * clearly, and finds the simulator with WS-Discovery.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventMap } from '../../../hub/api/events.js';
import { cameraClocks, onvifClockReadings } from '../../../hub/evidence/package-contents.js';
import { RecorderModule } from '../../../hub/recorder/recorder-module.js';
import { OnvifSim } from '../../../hub/sim/onvif-sim.js';
import { SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { mapNotification } from '../../../plugins/onvif-camera/event-pull.js';
import { OnvifCameraPlugin } from '../../../plugins/onvif-camera/index.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { DOORBELL_CLIP, waitFor } from '../../hub/recorder/harness.js';

const SNAPSHOT = fileURLToPath(new URL('../../fixtures/media/no-person-building.jpg', import.meta.url));
const PASSWORD = 'sim-Pass-4471';

describe('onvif-camera plugin', () => {
  let t: TestHub | null = null;
  let sim: OnvifSim | null = null;
  let rtsp: SimRtspServer | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
    await sim?.stop();
    sim = null;
    await rtsp?.stop();
    rtsp = null;
  });

  async function stopHub() {
    await t?.close();
    t = null;
  }

  async function setup(
    password: string,
    discovery = false,
    clock: { offsetMs: number; checkSeconds: number } = { offsetMs: 0, checkSeconds: 900 },
  ) {
    rtsp = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/main' });
    await rtsp.start();
    sim = new OnvifSim({
      username: 'admin',
      password: PASSWORD,
      mainStreamUrl: rtsp.url,
      snapshotFile: SNAPSHOT,
      pullWaitMs: 500,
      discovery,
      clockOffsetMs: clock.offsetMs,
    });
    await sim.start();
    t = await startTestHub({
      modules: [new RecorderModule()],
      plugins: [new OnvifCameraPlugin()],
      config: {
        recorder: { segmentSeconds: 2, offlineAfterSeconds: 6, minFreeBytes: 0 },
        cameras: [
          {
            id: 'doorbell',
            name: 'Doorbell',
            source: { type: 'onvif', host: '127.0.0.1', port: sim.port, username: 'admin', password },
            detect: { enabled: false },
            record: { preRollSeconds: 2, postRollSeconds: 2 },
          },
        ],
        plugins: { 'onvif-camera': { connectTimeoutMs: 3000, maxRetryMs: 2000, clockCheckSeconds: clock.checkSeconds } },
      },
    });
    return { t, sim, rtsp };
  }

  it('connects, records the stream and turns a doorbell press into camera.doorbell and a clip', { timeout: 90_000 }, async () => {
    const { t, sim } = await setup(PASSWORD);
    const streams = await waitFor('attached streams', () => t.hub.core.cameraAttachments.get('doorbell'), 15_000);
    expect(streams.mainUrl).toBe(rtsp?.url);
    expect(streams.snapshotUrl).toBe(`${sim.base}/snapshot.jpg`);
    expect(streams.password).toBe(PASSWORD);
    expect(streams.mainUrl).not.toContain(PASSWORD);
    expect(sim.calls).toEqual(
      expect.arrayContaining(['GetSystemDateAndTime', 'GetServices', 'GetProfiles', 'GetVideoSources', 'GetStreamUri', 'GetSnapshotUri']),
    );
    await waitFor('PullPoint subscription', () => sim.subscriptions === 1, 10_000);

    const rec = t.hub.core.module<RecorderModule>('recorder');
    await waitFor('recording', async () => ((await rec?.segments.live({ cameraId: 'doorbell' }))?.length ?? 0) >= 2, 30_000);

    const doorbell: Array<EventMap['camera.doorbell']> = [];
    const clips: Array<EventMap['clip.saved']> = [];
    t.hub.bus.on('camera.doorbell', 'test', (e) => {
      doorbell.push(e);
    });
    t.hub.bus.on('clip.saved', 'test', (e) => {
      clips.push(e);
    });
    sim.pressDoorbell();
    const press = await waitFor('camera.doorbell', () => doorbell[0], 10_000);
    expect(press).toMatchObject({ cameraId: 'doorbell', source: 'onvif-camera' });
    // Only the press (input going active) counts, not its release.
    await new Promise((r) => setTimeout(r, 1200));
    expect(doorbell).toHaveLength(1);
    const clip = await waitFor('doorbell clip', () => clips[0], 30_000);
    expect(clip).toMatchObject({ cameraId: 'doorbell', trigger: 'doorbell', correlationId: press.correlationId });
    expect(sim.calls).toEqual(expect.arrayContaining(['CreatePullPointSubscription', 'PullMessages', 'Renew']));

    // Motion and tamper map onto hub events too.
    const motion: Array<EventMap['camera.motion']> = [];
    const tamper: Array<EventMap['camera.tamper']> = [];
    t.hub.bus.on('camera.motion', 'test', (e) => {
      motion.push(e);
    });
    t.hub.bus.on('camera.tamper', 'test', (e) => {
      tamper.push(e);
    });
    sim.emit('motion', true);
    sim.emit('tamper', true);
    await waitFor('motion and tamper', () => motion.length > 0 && tamper.length > 0, 10_000);
    expect(motion[0]?.active).toBe(true);
    expect(tamper[0]?.active).toBe(true);

    // Owner snapshot comes from the camera's snapshot URI (Basic auth with the stored password).
    const owner = await ownerClient(t.url, t.setupCode);
    const snap = await fetch(`${t.url}/api/cameras/doorbell/snapshot`, { headers: { cookie: owner.sessionCookie ?? '' } });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');

    // Stopping the hub unsubscribes from the camera.
    await stopHub();
    expect(sim.calls).toContain('Unsubscribe');
    expect(sim.subscriptions).toBe(0);
  });

  it('a wrong ONVIF password: plugin health names HUB_ERR_CAMERA_AUTH and the camera test says so; no crash', {
    timeout: 60_000,
  }, async () => {
    const { t, sim } = await setup('not-the-password');
    await waitFor(
      'auth failure reported',
      () => /HUB_ERR_CAMERA_AUTH/.test(t.hub.core.health.get('plugin:onvif-camera')?.message ?? ''),
      15_000,
    );
    expect(t.hub.core.health.get('plugin:onvif-camera')?.status).toBe('degraded');
    expect(t.hub.core.cameraAttachments.get('doorbell')).toBeUndefined();
    expect(sim.authFailures).toBeGreaterThan(0);
    const owner = await ownerClient(t.url, t.setupCode);
    const installer = await invitedClient(t.url, owner, 'installer', 'ivy');
    const bad = await installer.post<{ error: { code: string; message: string } }>('/api/cameras/test', {
      source: { type: 'onvif', host: '127.0.0.1', port: sim.port, username: 'admin', password: 'still-wrong' },
    });
    expect(bad.status).toBe(502);
    expect(bad.body.error.code).toBe('HUB_ERR_CAMERA_AUTH');
    expect(bad.body.error.message).toMatch(/user name or password/);
    const good = await installer.post<{ ok: boolean; snapshot: string; hasSnapshotUrl: boolean }>('/api/cameras/test', {
      source: { type: 'onvif', host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
    });
    expect(good.status).toBe(200);
    expect(good.body.hasSnapshotUrl).toBe(true);
    expect(Buffer.from(good.body.snapshot, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const nobody = await installer.post<{ error: { code: string } }>('/api/cameras/test', {
      source: { type: 'onvif', host: '127.0.0.1', port: 9, username: 'admin', password: PASSWORD },
    });
    expect(nobody.body.error.code).toBe('HUB_ERR_CAMERA_UNREACHABLE');
    expect(t.logs.text()).not.toContain(PASSWORD);
    expect(t.logs.text()).not.toContain('still-wrong');
  });

  it("reads the camera's clock over ONVIF: a drifted clock shows in health, is logged for evidence packages, and clears once set right", {
    timeout: 60_000,
  }, async () => {
    const { t, sim } = await setup(PASSWORD, false, { offsetMs: 7300, checkSeconds: 1 });
    const health = () => t.hub.core.health.get('plugin:onvif-camera')?.message ?? '';
    await waitFor(
      'drift in health',
      () => /doorbell: the camera's clock is [67]\.\d s ahead of the hub's \(ONVIF\)/.test(health()),
      15_000,
    );
    expect(t.hub.core.health.get('plugin:onvif-camera')?.status).toBe('degraded');
    expect(health()).toMatch(/check its NTP server/);
    await t.hub.core.eventLog.flush();
    const [reading] = await t.hub.core.eventLog.query({ names: ['camera.clock'], limit: 1 });
    const p = reading?.payload as EventMap['camera.clock'];
    expect(p).toMatchObject({ cameraId: 'doorbell', method: 'onvif', ntp: true, source: 'onvif-camera' });
    // The answer is in whole seconds: the reading is within its own stated uncertainty of the truth.
    expect(Math.abs(p.offsetMs - 7300)).toBeLessThanOrEqual(p.uncertaintyMs);
    expect(p.uncertaintyMs).toBeGreaterThanOrEqual(500);
    expect(p.uncertaintyMs).toBeLessThan(1500);
    // An evidence package for a camera with no RTCP offset states the ONVIF reading, and says it is one.
    const [clock] = cameraClocks(['doorbell'], [], await onvifClockReadings(t.hub.core, ['doorbell'], Date.now()));
    expect(clock?.offsetMs).toBe(p.offsetMs);
    expect(clock?.detail).toMatch(/ONVIF \(GetSystemDateAndTime\).*within \d+ ms.*sets its clock from NTP/);

    // Someone sets the camera's clock right: the next reading clears the warning.
    sim.clockOffsetMs = 0;
    await waitFor('health ok again', () => t.hub.core.health.get('plugin:onvif-camera')?.status === 'ok', 15_000);
    expect(health()).toBe('1 camera(s) linked');
    const latest = (
      await (async () => {
        await t.hub.core.eventLog.flush();
        return t.hub.core.eventLog.query({ names: ['camera.clock'], limit: 1 });
      })()
    )[0]?.payload as EventMap['camera.clock'];
    expect(Math.abs(latest.offsetMs)).toBeLessThanOrEqual(latest.uncertaintyMs);
  });

  it('finds the simulator with WS-Discovery (installer)', { timeout: 30_000 }, async () => {
    const { t, sim } = await setup(PASSWORD, true);
    const owner = await ownerClient(t.url, t.setupCode);
    const installer = await invitedClient(t.url, owner, 'installer', 'ivy');
    const res = await installer.post<{ cameras: Array<{ address: string; port: number; name: string; xaddr: string }> }>(
      '/api/cameras/discover',
      {
        timeoutMs: 1500,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.cameras).toContainEqual(
      expect.objectContaining({
        address: '127.0.0.1',
        port: sim.port,
        name: 'Sanctuary doorbell sim',
        xaddr: `${sim.base}/onvif/device_service`,
      }),
    );
  });

  it('maps ONVIF topics onto hub signals', () => {
    const n = (topic: string, name: string, value: unknown) => ({
      topic: { _: topic },
      message: { message: { data: { simpleItem: { $: { Name: name, Value: value } } } } },
    });
    expect(mapNotification(n('tns1:Device/Trigger/DigitalInput', 'LogicalState', true))).toEqual({ kind: 'doorbell' });
    expect(mapNotification(n('tns1:Device/Trigger/DigitalInput', 'LogicalState', false))).toBeNull();
    expect(mapNotification(n('tns1:RuleEngine/MyRuleDetector/Visitor', 'State', 'true'))).toEqual({ kind: 'doorbell' });
    expect(mapNotification(n('tns1:RuleEngine/CellMotionDetector/Motion', 'IsMotion', false))).toEqual({ kind: 'motion', active: false });
    expect(mapNotification(n('tns1:VideoSource/MotionAlarm', 'State', true))).toEqual({ kind: 'motion', active: true });
    expect(mapNotification(n('tns1:RuleEngine/TamperDetector/Tamper', 'IsTamper', true))).toEqual({ kind: 'tamper', active: true });
    expect(mapNotification(n('tns1:VideoSource/GlobalSceneChange/ImagingService', 'State', true))).toEqual({
      kind: 'tamper',
      active: true,
    });
    expect(mapNotification(n('tns1:Monitoring/ProcessorUsage', 'Value', 12))).toBeNull();
  });
});
