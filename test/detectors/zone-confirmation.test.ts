/**
 * Zones that mean something, end to end through a real hub: the person-detector plugin runs the
 * real model on frames of the people-walking clip (decoded by a real ffmpeg), the real alarm and
 * confirmation modules decide. Two cameras see the same walkers:
 * - `hit` requires the `path` zone, drawn over the path the people walk on;
 * - `miss` requires only the `lawn` zone (the grass in the bottom-left, where nobody walks).
 * The front door is watched by `hit`, the back door by `miss`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PersonDetectorPlugin, personDetectorPlugin } from '../../detectors/plugin.js';
import { AlarmModule } from '../../hub/alarm/module.js';
import type { EventMap, EventName } from '../../hub/api/events.js';
import type { Frame } from '../../hub/api/plugin.js';
import { auditModule } from '../../hub/audit/audit-module.js';
import { ConfirmationModule } from '../../hub/confirmation/confirmation-module.js';
import { ConsentModule } from '../../hub/consent/consent-module.js';
import { evidenceModule } from '../../hub/evidence/evidence-module.js';
import { identityModule } from '../../hub/identity/identity-module.js';
import { type ApiClient, ownerClient } from '../helpers/api-client.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { clipFrames } from './fixture-media.js';

type Poly = Array<[number, number]>;
const PATH: Poly = [
  [0, 0.25],
  [1, 0.15],
  [1, 0.9],
  [0, 0.6],
];
const LAWN: Poly = [
  [0, 0.8],
  [0.4, 1],
  [0, 1],
];

const camera = (id: string, required: string) => ({
  id,
  name: `Camera ${id}`,
  kind: 'camera' as const,
  source: { type: 'rtsp' as const, mainUrl: `rtsp://127.0.0.1:1/${id}` },
  detect: {
    fps: 5,
    width: 640,
    height: 480,
    zones: [
      { name: 'path', points: PATH },
      { name: 'lawn', points: LAWN },
    ],
    requiredZones: [required],
  },
});

const door = (id: string, cameras: string[]) => ({
  id,
  name: id,
  location: 'House',
  kind: 'door' as const,
  entryRoute: false,
  source: { type: 'zigbee2mqtt' as const, friendlyName: id },
  cameras,
});

describe('required zones and the cameras that watch a door decide what a person confirms', () => {
  let t: TestHub;
  let owner: ApiClient;
  let plugin: PersonDetectorPlugin;
  let frames: Frame[];
  const seen: Array<{ name: EventName; event: EventMap[EventName] }> = [];

  beforeAll(async () => {
    plugin = personDetectorPlugin();
    t = await startTestHub({
      plugins: [plugin],
      modules: [identityModule(), auditModule(), new AlarmModule(), new ConsentModule(), new ConfirmationModule(), evidenceModule()],
      config: {
        alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0 },
        alerts: { videoConfirmationSeconds: 60 },
        sensors: [door('front-door', ['hit']), door('back-door', ['miss'])],
        cameras: [camera('hit', 'path'), camera('miss', 'lawn')],
        plugins: { 'person-detector': { backend: 'wasm', tracking: { offlineAfterSeconds: 1 } } },
      },
    });
    t.hub.bus.onAny('test', (name, event) => {
      seen.push({ name, event });
    });
    owner = await ownerClient(t.url, t.setupCode);
    expect((await owner.put('/api/alarm/pins', { pin: '1357', duressPin: '2468' })).status).toBe(204);
    frames = await clipFrames('people-walking-768x576-10fps.mp4', {
      cameraId: 'x',
      fps: 5,
      width: 640,
      height: 480,
      seconds: 2.4,
      startTs: 0,
    });
    await plugin.ready();
  }, 90_000);

  afterAll(async () => {
    await t?.close();
  });

  const of = <N extends EventName>(name: N, cameraId?: string) =>
    seen
      .filter((s) => s.name === name && (cameraId === undefined || (s.event as { cameraId?: string }).cameraId === cameraId))
      .map((s) => s.event as EventMap[N]);

  async function arm(): Promise<void> {
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);
    await until(async () => (await owner.get<{ state: string }>('/api/alarm')).body.state === 'armed_away');
  }

  /** The door opens (trips the alarm) and closes again, as the mqtt-sensors plugin reports it. */
  async function trip(sensorId: string): Promise<void> {
    const triggered = t.hub.bus.next('alarm.triggered');
    const ref = { source: 'mqtt-sensors', sensorId, name: sensorId, location: 'House', kind: 'door' as const };
    const sensor = { ...ref, entryRoute: false, perimeter: true, smartwaterKitCode: null };
    t.hub.bus.emit('sensor.opened', sensor);
    expect((await triggered).cause?.sensorId).toBe(sensorId);
    t.hub.bus.emit('sensor.closed', sensor);
  }

  /** The walkers, frame by frame (waiting for the detector), stamped with the hub's clock. */
  async function play(cameraId: string): Promise<void> {
    for (const f of frames) {
      t.hub.core.frameHub.publish({ ...f, cameraId, ts: Date.now() });
      await plugin.settled();
    }
  }

  it('people outside every required zone raise no person event and confirm nothing; a camera not watching the tripped door confirms nothing', async () => {
    await arm();
    await trip('back-door');
    await play('miss');
    // The model saw the walkers and tracked them as people, but none stood on the lawn.
    expect(plugin.stats('miss')?.tracksCreated).toBeGreaterThanOrEqual(1);
    expect(of('person.detected', 'miss')).toEqual([]);
    // The same walkers on the path camera, which watches the front door, not the back door.
    await play('hit');
    const onHit = of('person.detected', 'hit');
    expect(onHit.length).toBeGreaterThanOrEqual(1);
    for (const d of onHit) expect(d.zones).toContain('path');
    expect(of('intrusion.confirmed')).toEqual([]);
    // Frames stop: after offlineAfterSeconds the hit camera's people are gone, each with person.left.
    await until(async () => of('person.left', 'hit').length === onHit.length);
    expect(of('person.left', 'hit').every((l) => l.reason === 'camera_offline')).toBe(true);
    expect((await owner.post('/api/alarm/disarm', { pin: '1357' })).status).toBe(200);
  }, 120_000);

  it('a person in a required zone of a camera that watches the tripped door video-confirms, naming camera, zone, track and score', async () => {
    await arm();
    const before = of('person.detected', 'hit').length;
    await trip('front-door');
    const confirmed = t.hub.bus.next('intrusion.confirmed');
    await play('hit');
    const c = await confirmed;
    const detections = of('person.detected', 'hit').slice(before);
    expect(detections.length).toBeGreaterThanOrEqual(1);
    expect(c.how).toBe('video');
    expect(c.triggers).toEqual(['front-door', 'camera:hit']);
    expect(c.video).toMatchObject({ cameraId: 'hit', zone: 'path', sensorId: 'front-door' });
    expect(detections.map((d) => d.trackId)).toContain(c.video?.trackId);
    const d = detections.find((x) => x.trackId === c.video?.trackId)!;
    expect(c.video?.score).toBe(d.score);
    expect(c.video?.snapshotId).toBe(d.snapshotId);
    // The record is in the event log (and so in incident logs and exports).
    await t.hub.core.eventLog.flush();
    const stored = await t.hub.core.eventLog.query({ names: ['intrusion.confirmed'] });
    expect(stored.at(-1)?.payload).toMatchObject({ video: { cameraId: 'hit', zone: 'path', trackId: c.video?.trackId } });
    // The incident log says who was seen where, and which picture is the untouched original.
    const made = await owner.post<{ log: { id: string } }>('/api/incident-logs', {
      title: 'Break-in',
      eventSeqs: (await t.hub.core.eventLog.query({ names: ['intrusion.confirmed', 'person.detected', 'person.snapshot'] })).map(
        (e) => e.seq,
      ),
    });
    expect(made.status).toBe(200);
    const html = await owner.get<string>(`/api/incident-logs/${made.body.log.id}/html`);
    expect(html.body).toContain(
      `a person (track ${c.video?.trackId}, score ${c.video?.score.toFixed(2)}) in the required zone path of camera hit, which watches front-door`,
    );
    expect(html.body).toContain('the original frame, unaltered (PNG');
    expect(html.body).toContain('a separate working copy with the box drawn, not evidence');
    expect(html.body).toContain('data:image/png;base64,');
    expect(html.body).not.toContain('a working copy with the box drawn by the hub (not the original frame)');
    expect((await owner.post('/api/alarm/disarm', { pin: '1357' })).status).toBe(200);
  }, 120_000);
});

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
