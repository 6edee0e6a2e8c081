/**
 * Web Push end to end on loopback: a real hub, the RFC 8030 push service of
 * test/helpers/push-service.ts (it checks each VAPID JWT against the hub's key and decrypts each
 * aes128gcm payload with the subscription's private key, made as a browser makes it), and the
 * DC-09 receiver standing in for the alarm receiving centre.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { PushModule } from '../../../hub/push/push-module.js';
import { ApiClient, OWNER } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { type TestHub, tempDir } from '../../helpers/hub.js';
import { PushServiceTestPeer, type ReceivedPush } from '../../helpers/push-service.js';
import { BACK_WINDOW, FRONT_DOOR, opened, sensorRef, signIn, sleep, until } from '../alerts/alert-hub.js';
import { notificationsOn, startPushHub, subscribeDevice } from './push-hub.js';

describe('web push: what reaches the owner’s phone', () => {
  const hubs: TestHub[] = [];
  const peers: PushServiceTestPeer[] = [];
  const receivers: Dc09TestReceiver[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const p of peers.splice(0)) await p.stop();
    for (const r of receivers.splice(0)) await r.stop();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function setup(o: { dataDir?: string; clock?: { now(): number }; push?: Record<string, unknown> } = {}) {
    const peer = new PushServiceTestPeer();
    await peer.start();
    peers.push(peer);
    const receiver = new Dc09TestReceiver();
    await receiver.start();
    receivers.push(receiver);
    const t = await startPushHub({ peer, receiver, ...o, ...(o.dataDir ? { keepDataDir: true } : {}) });
    hubs.push(t);
    const owner = await signIn(t);
    return { peer, receiver, t, owner };
  }

  const titles = (l: ReceivedPush[]) => l.map((r) => r.payload.title);

  it('sends each kind with its words, TTL and urgency, signed with the hub’s VAPID key; nothing before she switches it on', async () => {
    const { peer, t, owner } = await setup();
    const sub = peer.subscribe();
    await subscribeDevice(owner, sub, false);
    const key = (await owner.get<{ publicKey: string }>('/api/push/key')).body.publicKey;
    peer.setAppServerKey(key);

    // Subscribed, but notifications are not switched on as a destination: nothing leaves.
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    await sleep(400);
    expect(peer.received).toEqual([]);

    await notificationsOn(owner, peer);
    const egress = (await owner.get<{ destinations: Array<{ id: string; on: boolean; type: string }> }>('/api/egress')).body.destinations;
    expect(egress.find((d) => d.id === 'push')).toMatchObject({ on: true, type: 'notifications' });

    const bus = t.hub.bus;
    bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    await peer.waitFor((p) => p.received.length === 1);
    bus.emit('person.detected', {
      source: 'detector',
      cameraId: 'doorbell',
      trackId: 't1',
      score: 0.9,
      box: { x1: 0.1, y1: 0.1, x2: 0.5, y2: 0.9 },
      zones: ['porch'],
      snapshot: 'data:image/jpeg;base64,AAAA',
    });
    await peer.waitFor((p) => p.received.length === 2);
    bus.emit('camera.offline', { source: 'recorder', cameraId: 'doorbell', reason: 'rtsp://10.0.0.9 refused', errorCode: 'X' });
    await peer.waitFor((p) => p.received.length === 3);
    bus.emit('sensor.offline', { source: 'mqtt-sensors', ...sensorRef(BACK_WINDOW), reason: 'silent' });
    await peer.waitFor((p) => p.received.length === 4);
    bus.emit('sensor.tamper', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR), active: true });
    await peer.waitFor((p) => p.received.length === 5);
    bus.emit('request.created', { source: 'evidence', requestId: 'r1' });
    await peer.waitFor((p) => p.received.length === 6);
    // A door opened while disarmed is not news; while armed it is, and the alarm goes off.
    opened(t, FRONT_DOOR);
    t.hub.bus.emit('sensor.closed', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR) });
    await sleep(300);
    expect(peer.received).toHaveLength(6);
    expect((await owner.put('/api/alarm/pins', { pin: '1357', duressPin: '2468' })).status).toBe(204);
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);
    await until(
      async () => (await owner.get<{ state: string }>('/api/alarm')).body.state,
      (s) => s === 'armed_away',
    );
    opened(t, FRONT_DOOR);
    await peer.waitFor((p) => p.received.length === 8);

    const got = peer.received;
    expect(titles(got)).toEqual([
      'Someone rang the doorbell',
      'Someone is at the door',
      'A camera went offline',
      'A sensor stopped reporting',
      'Someone may be tampering with a sensor',
      'The police asked for footage',
      'A door opened while the alarm is on',
      'Your alarm is going off',
    ]);
    expect(got.map((r) => r.payload.url)).toEqual([
      '/doorbell',
      '/doorbell',
      '/timeline',
      '/timeline',
      '/timeline',
      '/requests',
      '/timeline',
      '/home',
    ]);
    expect(got[3]?.payload.body).toBe('Back window (Kitchen)');
    expect(got[6]?.payload.body).toBe('Front door (Hallway)');
    // TTL and urgency chosen per kind, never the library's four-week default.
    // (The TTL sent is what is left of it: a second or two may have passed since the event.)
    const ttls = [120, 120, 6 * 3600, 6 * 3600, 3600, 24 * 3600, 900, 3600];
    expect(got.map((r, i) => (ttls[i] ?? 0) - r.ttl).every((d) => d >= 0 && d <= 2)).toBe(true);
    expect(got.map((r) => r.urgency)).toEqual(['high', 'high', 'normal', 'normal', 'high', 'normal', 'high', 'high']);
    expect(got[0]).toMatchObject({ topic: 'doorbell' });
    expect(got[2]).toMatchObject({ urgency: 'normal', topic: null });
    // Signed by the hub's key (the peer refuses any other), for this push service, with a contact.
    expect(peer.rejected).toEqual([]);
    expect(got.every((r) => r.claims.aud === peer.origin && /^mailto:|^https:/.test(r.claims.sub))).toBe(true);
    // No image, no address, no camera URL: they pass through the phone maker's service.
    for (const r of got) {
      expect(r.text).not.toMatch(/Example Street|51\.5007|data:image|rtsp:|10\.0\.0\.9|snapshot|clip/i);
      expect(Object.keys(r.payload).sort()).toEqual(['body', 'icon', 'tag', 'title', 'url', 'v']);
    }
    // The VAPID private key is never logged.
    const vapid = await t.hub.core.db.get<{ private_key: string }>('SELECT private_key FROM push_vapid');
    expect(vapid?.private_key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t.logs.text()).not.toContain(vapid?.private_key ?? 'x');
  });

  it('discreet devices get neutral words for every kind, including the question; the other device gets the real ones', async () => {
    const { peer, receiver, t, owner } = await setup();
    await notificationsOn(owner, peer, { kinds: { intrusion: 'ask' }, channels: { arc: { on: true } } });
    const plain = peer.subscribe();
    const quiet = peer.subscribe();
    await subscribeDevice(owner, plain, false);
    const quietId = await subscribeDevice(owner, quiet, true, 'Safari on iPhone');
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    t.hub.bus.emit('sensor.tamper', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR), active: true });
    t.hub.bus.emit('intrusion.confirmed', { source: 'confirmation', how: 'two_detectors', triggers: ['front-door', 'back-window'] });
    await peer.waitFor((p) => p.for(quiet.id).length === 3 && p.for(plain.id).length === 3);
    const neutral = peer.for(quiet.id);
    expect(neutral.map((r) => [r.payload.title, r.payload.body])).toEqual([
      ['Notes', 'You have a new note.'],
      ['Notes', 'You have a new note.'],
      ['Notes', 'A note is waiting for your answer.'],
    ]);
    expect(neutral.every((r) => r.payload.icon === '/icon-notes.svg')).toBe(true);
    expect(neutral[2]?.payload.actions).toEqual([
      { action: 'send', title: 'Yes' },
      { action: 'dismiss', title: 'Not now' },
    ]);
    // Everything the phone shows or keeps about it is neutral; only the page to open names one.
    for (const r of neutral) {
      const { url: _page, actionToken: _token, ...shown } = r.payload;
      expect(JSON.stringify(shown)).not.toMatch(/police|alarm|tamper|door|camera|intrusion|sanctuary/i);
    }
    const real = peer.for(plain.id);
    expect(real[2]?.payload.title).toBe('Tell the police?');
    expect(real[2]?.payload.actions).toEqual([
      { action: 'send', title: 'Send to police' },
      { action: 'dismiss', title: "Don't send" },
    ]);
    // Switching discreet off on that device gives it the real words from then on.
    expect((await owner.put(`/api/push/subscriptions/${quietId}`, { discreet: false })).status).toBe(200);
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    await peer.waitFor((p) => p.for(quiet.id).length === 4);
    expect(peer.for(quiet.id)[3]?.payload.title).toBe('Someone rang the doorbell');
    expect(receiver.frames).toEqual([]);
  });

  it('never notifies a silent panic or a duress disarm, nor anything correlated with one', async () => {
    const { peer, receiver, t, owner } = await setup();
    await notificationsOn(owner, peer, { kinds: { panic: 'automatic', duress: 'automatic' }, channels: { arc: { on: true } } });
    const sub = peer.subscribe();
    await subscribeDevice(owner, sub, false);
    expect((await owner.put('/api/alarm/pins', { pin: '1357', duressPin: '2468' })).status).toBe(204);
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);
    // The covert panic (the default) and a disarm with the duress PIN.
    const panic = t.hub.bus.next('panic');
    expect((await owner.post('/api/panic')).status).toBeLessThan(300);
    const p = await panic;
    expect(p.loud).toBe(false);
    expect((await owner.post('/api/alarm/disarm', { pin: '2468' })).status).toBe(200);
    // Both reach the ARC (the owner consented), so the alerts were raised for real.
    await receiver.waitFor((r) => r.alarms().length === 2, 8000);
    // Something correlated with the silent panic (the alarm it may trigger) stays silent too.
    t.hub.bus.emit('alarm.triggered', { source: 'alarm', cause: null, reason: 'panic', correlationId: p.correlationId });
    // A marker: once the doorbell arrives, anything raised before it would have arrived too.
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    await peer.waitFor((x) => x.received.length >= 1);
    await sleep(300);
    expect(titles(peer.received)).toEqual(['Someone rang the doorbell']);
    const rows = await t.hub.core.db.all<{ kind: string }>('SELECT kind FROM push_deliveries');
    expect(rows.map((r) => r.kind)).toEqual(['doorbell']);
  });

  it('a 410 from the push service removes the subscription; nothing more is sent to it', async () => {
    const { peer, t, owner } = await setup();
    await notificationsOn(owner, peer);
    const gone = peer.subscribe();
    const kept = peer.subscribe();
    const goneId = await subscribeDevice(owner, gone, false, 'Old phone');
    await subscribeDevice(owner, kept, false, 'New phone');
    let goneHits = 0;
    peer.respond = (id) => {
      if (id !== gone.id) return null;
      goneHits++;
      return 410;
    };
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    await peer.waitFor((p) => p.for(kept.id).length === 1);
    const list = await until(
      async () => (await owner.get<{ subscriptions: Array<{ id: string; device: string }> }>('/api/push/subscriptions')).body.subscriptions,
      (l) => l.length === 1,
    );
    expect(list.map((s) => s.device)).toEqual(['New phone']);
    expect(goneHits).toBe(1);
    t.hub.bus.emit('sensor.tamper', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR), active: true });
    await peer.waitFor((p) => p.for(kept.id).length === 2);
    expect(goneHits).toBe(1);
    const audit = (await owner.get<{ entries: Array<{ action: string; subject: Record<string, unknown> }> }>('/api/audit')).body.entries;
    expect(audit.some((e) => e.action === 'push.unsubscribed' && e.subject.subscriptionId === goneId)).toBe(true);
  });

  it('a push service that is down, then a hub restart: every queued notification still arrives, in order', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await setup({ dataDir });
    const { peer, receiver } = first;
    await notificationsOn(first.owner, peer);
    const sub = peer.subscribe();
    await subscribeDevice(first.owner, sub, false);
    let failed = 0;
    peer.respond = () => {
      failed++;
      return 503;
    };
    first.t.hub.bus.emit('sensor.tamper', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR), active: true });
    first.t.hub.bus.emit('camera.offline', { source: 'recorder', cameraId: 'doorbell', reason: 'gone', errorCode: 'X' });
    await until(
      async () => failed,
      (n) => n >= 2,
    );
    await first.t.close();
    hubs.splice(hubs.indexOf(first.t), 1);
    peer.respond = null;

    const t = await startPushHub({ peer, receiver, dataDir, keepDataDir: true });
    hubs.push(t);
    await peer.waitFor((p) => p.received.length === 2, 8000);
    expect(titles(peer.received)).toEqual(['Someone may be tampering with a sensor', 'A camera went offline']);
    const owner = new ApiClient(t.url);
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
    const rows = await t.hub.core.db.all<{ status: string; attempts: number }>('SELECT status, attempts FROM push_deliveries ORDER BY seq');
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
    expect(rows[0]?.attempts).toBeGreaterThanOrEqual(2);
  });

  it('switching notifications off stops what is still waiting for a busy push service', async () => {
    const { peer, t, owner } = await setup();
    await notificationsOn(owner, peer);
    const sub = peer.subscribe();
    await subscribeDevice(owner, sub, false);
    let tries = 0;
    peer.respond = () => {
      tries++;
      return 503;
    };
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    await until(
      async () => tries,
      (n) => n >= 1,
    );
    expect((await owner.put('/api/consent', { channels: { push: { on: false } } })).status).toBe(200);
    peer.respond = null;
    const row = await until(
      () => t.hub.core.db.get<{ status: string; detail: string }>('SELECT status, detail FROM push_deliveries'),
      (r) => r?.status === 'dropped',
    );
    expect(row?.detail).toMatch(/switched off/);
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'doorbell' });
    await sleep(400);
    expect(peer.received).toEqual([]);
  });

  it('a person at the door: once per visit, then not again at that camera within the cooldown', async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const { peer, t, owner } = await setup({ clock, push: { personCooldownSeconds: 60 } });
    await notificationsOn(owner, peer);
    const sub = peer.subscribe();
    await subscribeDevice(owner, sub, false);
    const bus = t.hub.bus;
    const box = { x1: 0.1, y1: 0.1, x2: 0.5, y2: 0.9 };
    const seen = (trackId: string) =>
      bus.emit('person.detected', { source: 'detector', cameraId: 'doorbell', trackId, score: 0.9, box, zones: ['porch'], snapshot: null });
    seen('t1');
    await peer.waitFor((p) => p.received.length === 1);
    // The same visit moving about, leaving, and a new visit 30 s later: all within the cooldown.
    bus.emit('person.updated', {
      source: 'detector',
      cameraId: 'doorbell',
      trackId: 't1',
      score: 0.9,
      box,
      zones: ['porch'],
      entered: ['porch'],
      left: [],
    });
    bus.emit('person.left', { source: 'detector', cameraId: 'doorbell', trackId: 't1', durationMs: 4000 });
    offset += 30_000;
    seen('t2');
    // Past the cooldown: a new visit is news again.
    offset += 31_000;
    seen('t3');
    await peer.waitFor((p) => p.received.length === 2);
    await sleep(300);
    expect(peer.received).toHaveLength(2);
    const rows = await t.hub.core.db.all<{ kind: string }>('SELECT kind FROM push_deliveries');
    expect(rows).toHaveLength(2);
    // The cooldown is on disk, so a restart mid-visit does not notify twice.
    const cd = await t.hub.core.db.get<{ key: string }>('SELECT key FROM push_cooldowns');
    expect(cd?.key).toBe('person:doorbell');
    expect(t.hub.core.module<PushModule>('push')?.store).not.toBeNull();
  });
});
