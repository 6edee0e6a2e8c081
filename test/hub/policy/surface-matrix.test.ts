/**
 * The surface matrix: one real hub (all core modules, the built-in plugins, an external mosquitto
 * broker, a real RTSP doorbell, the DC-09 test receiver, a webhook receiver on loopback) and an
 * alarm scene driven the real way: a door opening and a tamper over MQTT, a covert panic over
 * HTTP, a disarm with the duress PIN on the keypad API, and the clip the panic records. Then every
 * surface is read: every route in the registry the owner may call, the owner's live feed, the
 * Homebridge-style token feed, the local MQTT topics, an incident log of the whole window, the
 * webhook, the siren and the ARC. Silent facts reach the ARC (consented) and the audit chain, and
 * nothing else. A route or channel the policy does not name fails the test.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { builtinPlugins } from '../../../app/plugins.js';
import type { EventMap } from '../../../hub/api/events.js';
import { ROUTE_SURFACES } from '../../../hub/policy/route-surfaces.js';
import { SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { ZigbeeSim } from '../../../hub/sim/zigbee-sensors.js';
import { ApiClient, invitedClient, ownerClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { startMosquitto, stopMosquitto } from '../../helpers/mosquitto.js';
import { freePort, waitFor } from '../../helpers/ports.js';
import { DURESS_PIN, OWNER_PIN, SENSORS, SIREN } from '../alarm/alarm-fixture.js';
import { DOORBELL_CLIP } from '../recorder/harness.js';

const SECRET = 'a-long-shared-secret-for-tests';

describe('surface matrix: what each surface shows or receives, for each kind of fact', () => {
  let hub: TestHub;
  let mosquitto: ChildProcess;
  let camera: SimRtspServer;
  let arc: Dc09TestReceiver;
  let webhook: Server;
  let sim: ZigbeeSim;
  let local: mqtt.MqttClient;
  let owner: ApiClient;
  const sockets: WebSocket[] = [];
  const hooked: Array<{ type: string; alert?: { kind: string } }> = [];
  const ownerFeed: string[] = [];
  const tokenFeed: string[] = [];
  const visitorFeed: string[] = [];
  const mqttSeen: Array<{ topic: string; payload: string }> = [];
  let panic: EventMap['panic'];
  let duress: EventMap['duress'];
  let panicClip: EventMap['clip.saved'];
  let sceneStart = 0;
  let silentAlertIds: string[] = [];
  const sirenOn: boolean[] = [];

  beforeAll(async () => {
    const dir = await tempDir();
    const port = await freePort();
    mosquitto = await startMosquitto(port, dir);
    arc = new Dc09TestReceiver();
    await arc.start();
    webhook = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        hooked.push(JSON.parse(raw) as (typeof hooked)[number]);
        res.end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
    camera = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell' });
    await camera.start();
    hub = await startTestHub({
      plugins: builtinPlugins(),
      config: {
        home: { name: 'Test home', address: '1 Example Street, Exampletown', coordinates: '51.5007,-0.1246' },
        mqtt: { url: `mqtt://127.0.0.1:${port}` },
        sensors: SENSORS,
        alarm: { exitDelaySeconds: 0, entryDelaySeconds: 30, siren: { zigbee2mqttDevice: SIREN } },
        alerts: { retryInitialMs: 100, retryMaxSeconds: 1 },
        recorder: { segmentSeconds: 2, offlineAfterSeconds: 8, minFreeBytes: 0 },
        cameras: [
          {
            id: 'front-door',
            name: 'Front door',
            kind: 'doorbell',
            source: { type: 'rtsp', mainUrl: camera.url, subUrl: null, snapshotUrl: null },
            detect: { enabled: false },
            record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false },
          },
        ],
        plugins: {
          'mqtt-sensors': { offlineCheckMs: 50 },
          'sia-dc09': {
            enabled: true,
            host: '127.0.0.1',
            port: arc.port,
            account: '1234AB',
            receiver: '12',
            line: '3',
            linkTestSeconds: 0,
            ackTimeoutMs: 400,
          },
          webhook: {
            enabled: true,
            url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
            secret: SECRET,
            police: false,
            channelId: 'home-automation',
          },
          'mqtt-alerts': { enabled: true },
        },
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    expect((await owner.put('/api/alarm/pins', { pin: OWNER_PIN, duressPin: DURESS_PIN })).status).toBe(204);
    const consent = await owner.put('/api/consent', {
      kinds: { panic: 'automatic', duress: 'automatic', tamper: 'automatic', intrusion: 'automatic' },
      share: { location: true },
      channels: {
        arc: { on: true },
        'home-automation': { on: true, kinds: ['tamper', 'panic', 'intrusion'] },
        mqtt: { on: true, kinds: ['tamper', 'panic', 'intrusion'] },
      },
    });
    expect(consent.status).toBe(200);
    await waitFor(
      async () => (await owner.get<{ cameras: Array<{ status: { online: boolean } }> }>('/api/cameras')).body.cameras[0]?.status.online,
      'camera online',
      30_000,
    );

    // The surfaces that listen: the owner's live feed, an API token's feed (what Homebridge
    // reads), and everything on the home's MQTT broker.
    const token = (await owner.post<{ token: string }>('/api/tokens', { name: 'homebridge', scopes: ['events:read', 'alarm:read'] })).body
      .token;
    const wsUrl = `${hub.url.replace('http', 'ws')}/api/ws`;
    const open = (headers: Record<string, string>, into: string[]) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(wsUrl, { headers });
        sockets.push(ws);
        ws.on('message', (m: Buffer) => {
          const msg = JSON.parse(m.toString()) as { type: string; name?: string; event?: unknown };
          if (msg.type === 'event') into.push(`${msg.name} ${JSON.stringify(msg.event)}`);
        });
        ws.once('open', () => resolve());
      });
    await open({ cookie: owner.sessionCookie ?? '' }, ownerFeed);
    for (const role of ['police', 'advocate'] as const) {
      const c = await invitedClient(hub.url, owner, role, `${role}1`);
      await open({ cookie: c.sessionCookie ?? '' }, visitorFeed);
    }
    await open({ authorization: `Bearer ${token}` }, tokenFeed);
    local = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    local.on('message', (topic, payload) => mqttSeen.push({ topic, payload: payload.toString() }));
    await local.subscribeAsync('#');
    sim = new ZigbeeSim(`mqtt://127.0.0.1:${port}`, 'zigbee2mqtt', SIREN);
    await sim.start();

    // The scene.
    hub.hub.bus.on('siren.changed', 'test', (e) => {
      sirenOn.push(e.on);
    });
    sceneStart = Date.now();
    // The covert panic first, so its clip is its own (a later trigger would join an open clip).
    const covert = hub.hub.bus.next('panic');
    expect((await owner.post('/api/panic')).status).toBe(200);
    panic = await covert;
    expect(panic.loud).toBe(false);
    panicClip = await hub.hub.bus.next('clip.saved', (c) => c.correlationId === panic.correlationId, 30_000);
    await sim.close('front_door');
    await sim.open('front_door');
    await waitFor(() => ownerFeed.some((l) => l.startsWith('sensor.opened')), 'door opening on the owner feed');
    await sim.close('front_door');
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: OWNER_PIN })).status).toBe(200);
    const forced = hub.hub.bus.next('duress');
    expect((await owner.post('/api/alarm/disarm', { pin: DURESS_PIN })).status).toBe(200);
    duress = await forced;
    await sim.report('kitchen_window', { tamper: true });
    await arc.waitFor((r) => ['PA', 'HA', 'TA'].every((c) => r.alarms().some((f) => f.code === c)), 10_000);
    await waitFor(() => hooked.some((h) => h.alert?.kind === 'tamper'), 'tamper on the webhook');
    await waitFor(() => mqttSeen.some((m) => m.topic === 'sanctuary/alerts/tamper'), 'tamper on the alert topic');
    await new Promise((r) => setTimeout(r, 500));
    silentAlertIds = (await hub.hub.core.db.all<{ id: string }>('SELECT id FROM alerts WHERE silent = 1')).map((a) => a.id);
    expect(silentAlertIds).toHaveLength(2);
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await local?.endAsync();
    await sim?.stop();
    await hub?.close();
    await camera?.stop();
    await arc?.stop();
    await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
    if (mosquitto) await stopMosquitto(mosquitto);
  });

  /** Anything that would tell an onlooker a silent fact happened. */
  const silentMarkers = () => [
    panic.correlationId,
    duress.correlationId,
    panicClip.clipId,
    ...silentAlertIds,
    'alarm.panic',
    'alarm.duress',
    '"name":"panic"',
    '"name":"duress"',
    '"kind":"duress"',
    '"duress":true',
  ];
  const revealsSilent = (text: string) => silentMarkers().find((m) => text.includes(m)) ?? null;

  it('names every registered route (HTTP and WebSocket) in the policy, and nothing stale', () => {
    const registered = hub.hub.core.http.routes().map((r) => `${r.method} ${r.url}`);
    const missing = registered.filter((r) => !(r in ROUTE_SURFACES));
    expect(missing, 'routes with no policy entry in hub/policy/route-surfaces.ts').toEqual([]);
    expect(Object.keys(ROUTE_SURFACES).filter((k) => !registered.includes(k))).toEqual([]);
  });

  it('asks the policy for every registered outbound channel, and the owner sees each one', async () => {
    const channels = hub.hub.core.alertChannels.list();
    expect(channels.map((c) => c.id).sort()).toEqual(['arc', 'home-automation', 'mqtt']);
    const egress = (await owner.get<{ destinations: Array<{ id: string; on: boolean }> }>('/api/egress')).body.destinations;
    for (const c of channels) {
      expect(egress.find((d) => d.id === c.id)?.on, c.id).toBe(true);
      // The policy decides for each one: a silent panic reaches only the police channel.
      const decision = hub.hub.core.policy.channelDecision(c, { kind: 'panic', silent: true });
      expect(decision.mode, c.id).toBe(c.police ? 'send' : 'no');
    }
  });

  it('shows nothing of the silent panic or the duress disarm on any owner route, and the rest where it belongs', async () => {
    // Ids the caller did not send must not come back; the silent clip and alerts are asked for
    // by id below (a 404 names what was asked for, which tells nothing new).
    const checked: string[] = [];
    for (const r of hub.hub.core.http.routes()) {
      if (r.method !== 'GET' || r.websocket || 'public' in r.access || !r.access.roles.includes('owner')) continue;
      const path = r.url.replace(/:[a-zA-Z]+/g, 'x');
      const res = await owner.get(path);
      const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
      expect(revealsSilent(text), `${r.url} (${res.status}) shows a silent fact`).toBeNull();
      checked.push(r.url);
    }
    expect(checked.length).toBeGreaterThan(20);
    // The clip of the covert panic is "not found" for the owner, like one that never existed.
    expect((await owner.get(`/api/clips/${panicClip.clipId}/video`)).status).toBe(404);
    for (const id of silentAlertIds) expect((await owner.get(`/api/alerts/${id}`)).status).toBe(404);
    // Positive controls: the door, the tamper and the (visible) disarm are there.
    const events = JSON.stringify((await owner.get('/api/events')).body);
    expect(events).toContain('sensor.opened');
    expect(events).toContain('sensor.tamper');
    const alerts = (await owner.get<{ alerts: Array<{ kind: string }> }>('/api/alerts')).body.alerts.map((a) => a.kind);
    expect(alerts).toEqual(['tamper']);
    const audit = (await owner.get<{ entries: Array<{ action: string }> }>('/api/audit')).body.entries.map((e) => e.action);
    expect(audit).toContain('alarm.disarmed');
  });

  it('keeps silent facts off the live feed, the token (Homebridge) feed, the local MQTT topics and the siren', () => {
    expect(ownerFeed.some((l) => l.startsWith('sensor.opened'))).toBe(true);
    expect(ownerFeed.filter((l) => revealsSilent(l))).toEqual([]);
    expect(tokenFeed.some((l) => l.startsWith('alarm.state_changed'))).toBe(true);
    // Police and advocate accounts never see a live event of the home.
    expect(visitorFeed).toEqual([]);
    expect(tokenFeed.filter((l) => l.startsWith('alert.') || revealsSilent(l))).toEqual([]);
    const topics = mqttSeen.filter((m) => !m.topic.startsWith('zigbee2mqtt/'));
    expect(topics.some((m) => m.topic === 'sanctuary/alarm/state')).toBe(true);
    expect(topics.filter((m) => m.topic.startsWith('sanctuary/alerts/panic') || revealsSilent(m.payload))).toEqual([]);
    // The siren never sounded (a covert panic is covert; a duress disarm is a disarm).
    expect(sirenOn.filter((on) => on)).toEqual([]);
  });

  it('leaves silent facts out of an incident log built from the whole window', async () => {
    const made = await owner.post<{ log: { id: string } }>('/api/incident-logs', {
      title: 'Everything today',
      fromTs: sceneStart - 60_000,
      toTs: Date.now() + 1000,
      includeSnapshots: false,
    });
    expect(made.status).toBe(200);
    const html = (await owner.get(`/api/incident-logs/${made.body.log.id}/html`)).body as unknown as string;
    expect(html).toContain('Front door');
    expect(revealsSilent(html)).toBeNull();
    expect(html).not.toMatch(/panic|duress/i);
  });

  it('sends the silent facts to the ARC (consented) and keeps them in the audit chain, and only the tamper to the webhook', async () => {
    const codes = arc.alarms().map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['PA', 'HA', 'TA']));
    expect(hooked.filter((h) => h.type === 'alert').map((h) => h.alert?.kind)).toEqual(['tamper']);
    expect(mqttSeen.filter((m) => m.topic.startsWith('sanctuary/alerts/')).map((m) => m.topic)).toEqual(['sanctuary/alerts/tamper']);
    const chain = await hub.hub.core.audit.entries();
    expect(chain.some((e) => e.action === 'alarm.panic' && e.subject.loud === false)).toBe(true);
    expect(chain.some((e) => e.action === 'alarm.disarmed' && e.subject.duress === true)).toBe(true);
    expect(chain.some((e) => e.action === 'alert.raised' && e.subject.kind === 'duress')).toBe(true);
    expect((await hub.hub.core.audit.verify()).ok).toBe(true);
  });

  it('tells an anonymous caller nothing about the home or the product', async () => {
    const anon = new ApiClient(hub.url);
    for (const r of hub.hub.core.http.routes()) {
      if (!('public' in r.access) || r.method !== 'GET') continue;
      const res = await anon.get(r.url);
      // Key material (the public signing key's PEM body and its hex fingerprint) is random
      // base64 and hex: it may spell "arc" or "front" by chance, so it is blanked before the
      // words are looked for. The rest of the body is checked as served.
      const text = JSON.stringify(res.body)
        .replace(/-----BEGIN PUBLIC KEY-----[^-]*-----END PUBLIC KEY-----/g, '<public key>')
        .replace(/"(fingerprint|fingerprintGrouped|hubId)":"[0-9a-f ]+"/g, '"$1":"<hex>"');
      expect(text, r.url).not.toMatch(/sanctuary|Test home|Example Street|front|camera|arc/i);
    }
  });
});
