/**
 * "Tell the police now" on a triggered alarm, and "Silence the siren" without disarming, against a
 * real hub with the DC-09 plugin and the test suite's own receiver (the ARC):
 * - with alarms set to "never", a confirmed intrusion sends nothing; a one-off consent given on the
 *   spot sends that alert, and only that one, through the outbox; the audit chain names it;
 * - the one-off is refused for another role, a destination she was not shown, a silent alert;
 * - silencing needs the PIN, stops the siren (MQTT), leaves the alarm triggered and alerts going.
 */
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiClient, invitedClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import {
  alerts,
  allAlerts,
  BACK_WINDOW,
  FRONT_DOOR,
  opened,
  sensorRef,
  setConsent,
  signIn,
  sleep,
  startAlertHub,
  until,
} from './alert-hub.js';

const PIN = '1357';
const DURESS = '2468';

describe('tell the police now (a one-off consent) and silence the siren', () => {
  let receiver: Dc09TestReceiver;
  let t: TestHub | null = null;

  beforeEach(async () => {
    receiver = new Dc09TestReceiver();
    await receiver.start();
  });
  afterEach(async () => {
    await t?.close();
    t = null;
    await receiver.stop();
  });

  async function armed(owner: ApiClient): Promise<void> {
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: PIN })).status).toBe(200);
    await until(
      async () => (await owner.get<{ state: string }>('/api/alarm')).body.state,
      (s) => s === 'armed_away',
    );
  }

  /** Two detectors: a confirmed intrusion, i.e. an alert. Returns its id once stored. */
  async function intrusion(hub: TestHub, owner: ApiClient, seen: number): Promise<string> {
    const confirmed = hub.hub.bus.next('intrusion.confirmed');
    opened(hub, FRONT_DOOR);
    await sleep(50);
    opened(hub, BACK_WINDOW);
    await confirmed;
    const list = await until(
      () => alerts(owner),
      (l) => l.filter((a) => a.kind === 'intrusion').length === seen + 1,
    );
    return list.find((a) => a.kind === 'intrusion')?.id as string;
  }

  it('with alarms set to "never" nothing is sent; "send this once" delivers that alert alone to the ARC, audited', async () => {
    const hub = await startAlertHub({ receiver });
    t = hub;
    const owner = await signIn(hub);
    await setConsent(owner, { kinds: { intrusion: 'never' } });
    expect((await owner.put('/api/alarm/pins', { pin: PIN, duressPin: DURESS })).status).toBe(204);
    await armed(owner);
    const first = await intrusion(hub, owner, 0);
    await sleep(400);
    expect(receiver.alarms()).toEqual([]);
    const [a] = await alerts(owner);
    expect(a).toMatchObject({ id: first, status: 'refused', deliveries: [] });

    // The destination she is shown is the one the installer configured for the ARC.
    const consent = await owner.get<{ version: number; destinations: Array<{ id: string; police: boolean; destination: string }> }>(
      '/api/consent',
    );
    const arc = consent.body.destinations.find((d) => d.id === 'arc' && d.police);
    expect(arc?.destination).toBeTruthy();
    const destination = arc?.destination as string;

    // Other roles cannot give her consent.
    const installer = await invitedClient(hub.url, owner, 'installer', 'ivy');
    const refused = await installer.post(`/api/alerts/${first}/send-once`, { channel: 'arc', destination });
    expect(refused.status).toBe(403);
    // A destination she was not shown, or a channel that is not a police one, sends nothing.
    const wrong = await owner.post<{ error: { message: string } }>(`/api/alerts/${first}/send-once`, {
      channel: 'arc',
      destination: 'somewhere else',
    });
    expect(wrong.status).toBe(409);
    expect(JSON.stringify(wrong.body)).toMatch(/somewhere else than you were shown/);
    expect((await owner.post(`/api/alerts/${first}/send-once`, { channel: 'nope', destination })).status).toBe(404);
    await sleep(200);
    expect(receiver.alarms()).toEqual([]);

    const sent = await owner.post<{ status: string }>(`/api/alerts/${first}/send-once`, { channel: 'arc', destination });
    expect(sent.status).toBe(200);
    await receiver.waitFor((r) => r.alarms().length === 1);
    expect(receiver.alarms()[0]?.code).toBe('BA');
    // Nothing but the alarm: a one-off never adds the address, a photo or a link.
    expect(receiver.alarms()[0]?.extended).toEqual([]);
    const done = await until(
      () => alerts(owner),
      (l) => l.find((x) => x.id === first)?.status === 'acknowledged',
    );
    expect(done.find((x) => x.id === first)?.deliveries).toEqual([
      expect.objectContaining({ channel: 'arc', police: true, status: 'acknowledged' }),
    ]);
    // Once only: a second tap on the same alert is refused, not sent twice.
    expect((await owner.post(`/api/alerts/${first}/send-once`, { channel: 'arc', destination })).status).toBe(409);

    const audit = await hub.hub.core.audit.entries({ limit: 1000 });
    const oneOff = audit.filter((e) => e.action === 'consent.one_off');
    expect(oneOff).toHaveLength(1);
    expect(oneOff[0]?.subject).toMatchObject({ alertId: first, kind: 'intrusion', channel: 'arc', destination, alarmActive: true });
    const me = await owner.get<{ user: { id: string } }>('/api/session');
    expect(oneOff[0]?.actor).toBe(me.body.user.id);
    // Her standing choice is unchanged.
    const after = await owner.get<{ settings: { kinds: Record<string, string> }; version: number }>('/api/consent');
    expect(after.body.settings.kinds.intrusion).toBe('never');
    expect(after.body.version).toBe(consent.body.version);

    // Another alert (the next incident) is not covered: it stays at home.
    expect((await owner.post('/api/alarm/disarm', { pin: PIN })).status).toBe(200);
    for (const s of [FRONT_DOOR, BACK_WINDOW]) hub.hub.bus.emit('sensor.closed', { source: 'mqtt-sensors', ...sensorRef(s) });
    await sleep(100);
    await armed(owner);
    const second = await intrusion(hub, owner, 1);
    expect(second).not.toBe(first);
    await sleep(500);
    expect(receiver.alarms()).toHaveLength(1);
    expect((await alerts(owner)).find((x) => x.id === second)).toMatchObject({ status: 'refused', deliveries: [] });
  });

  it('a silent panic cannot be sent once from the app: it is not there for whoever holds the phone', async () => {
    const hub = await startAlertHub({ receiver });
    t = hub;
    const owner = await signIn(hub);
    await setConsent(owner, { kinds: { panic: 'never' } });
    const consent = await owner.get<{ destinations: Array<{ id: string; destination: string }> }>('/api/consent');
    const destination = consent.body.destinations.find((d) => d.id === 'arc')?.destination as string;
    expect((await owner.post('/api/panic')).status).toBe(200);
    const [panic] = await until(
      () => allAlerts(hub),
      (l) => l.length === 1,
    );
    expect(panic).toMatchObject({ kind: 'panic', silent: true, status: 'refused' });
    const r = await owner.post(`/api/alerts/${panic?.id}/send-once`, { channel: 'arc', destination });
    expect(r.status).toBe(404);
    await sleep(300);
    expect(receiver.frames).toEqual([]);
    const audit = await hub.hub.core.audit.entries({ limit: 1000 });
    expect(audit.some((e) => e.action === 'consent.one_off')).toBe(false);
  });

  it('a one-off consent is scoped by the policy to its alert id and to police channels', async () => {
    const hub = await startAlertHub({ receiver });
    t = hub;
    const policy = hub.hub.core.policy;
    const arc = { id: 'arc', police: true, destination: 'ARC at 127.0.0.1' };
    const oneOff = { alertId: 'a1', channelId: 'arc', destination: arc.destination };
    expect(policy.channelDecision(arc, { kind: 'intrusion', silent: false, alertId: 'a1', oneOff }).mode).toBe('send');
    expect(policy.channelDecision(arc, { kind: 'intrusion', silent: false, alertId: 'a2', oneOff }).mode).toBe('no');
    expect(policy.channelDecision({ ...arc, police: false }, { kind: 'intrusion', silent: false, alertId: 'a1', oneOff }).mode).toBe('no');
    expect(
      policy.channelDecision({ ...arc, destination: 'elsewhere' }, { kind: 'intrusion', silent: false, alertId: 'a1', oneOff }).mode,
    ).toBe('no');
    // Without it, the standing choice (nothing switched on) decides.
    expect(policy.channelDecision(arc, { kind: 'intrusion', silent: false, alertId: 'a1' }).mode).toBe('no');
  });

  it('silence the siren: needs the PIN, stops the sounder, the alarm stays triggered and alerts still go', async () => {
    const hub = await startAlertHub({ receiver, alarm: { siren: { topic: 'test/siren', onPayload: 'ON', offPayload: 'OFF' } } });
    t = hub;
    const owner = await signIn(hub);
    await setConsent(owner, { kinds: { intrusion: 'automatic' } });
    expect((await owner.put('/api/alarm/pins', { pin: PIN, duressPin: DURESS })).status).toBe(204);
    const sub = await mqtt.connectAsync(hub.mqttUrl);
    const siren: string[] = [];
    sub.on('message', (_topic, payload) => siren.push(payload.toString()));
    await sub.subscribeAsync('test/siren', { qos: 1 });
    try {
      // Not going off: nothing to silence.
      expect((await owner.post('/api/alarm/silence', { pin: PIN })).status).toBe(409);
      await armed(owner);
      const triggered = hub.hub.bus.next('alarm.triggered');
      opened(hub, FRONT_DOOR);
      await triggered;
      await until(
        async () => siren,
        (s) => s.includes('ON'),
      );
      expect((await owner.get<{ sirenOn: boolean }>('/api/alarm')).body.sirenOn).toBe(true);
      // A PIN is needed; a wrong one does nothing.
      expect((await owner.post('/api/alarm/silence', {})).status).toBe(400);
      expect((await owner.post('/api/alarm/silence', { pin: '9999' })).status).toBe(403);
      expect((await owner.get<{ sirenOn: boolean }>('/api/alarm')).body.sirenOn).toBe(true);

      const r = await owner.post<{ state: string; sirenOn: boolean }>('/api/alarm/silence', { pin: PIN });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ state: 'triggered', sirenOn: false });
      await until(
        async () => siren,
        (s) => s.at(-1) === 'OFF',
      );
      // The incident goes on: a second detector confirms it and the ARC is told.
      opened(hub, BACK_WINDOW);
      await receiver.waitFor((rr) => rr.alarms().length === 1);
      expect(receiver.alarms()[0]?.code).toBe('BA');
      expect((await owner.get<{ state: string; sirenOn: boolean }>('/api/alarm')).body).toMatchObject({
        state: 'triggered',
        sirenOn: false,
      });
      const audit = await hub.hub.core.audit.entries({ limit: 1000 });
      expect(audit.filter((e) => e.action === 'alarm.siren_silenced')).toHaveLength(1);
      expect(audit.some((e) => e.action === 'alarm.disarmed')).toBe(false);
      // The stored state no longer holds a siren end: a restarted hub does not sound it again.
      const row = await hub.hub.core.db.get<{ siren_until: number | null }>('SELECT siren_until FROM alarm_state');
      expect(row?.siren_until ?? null).toBeNull();
      expect((await allAlerts(hub)).some((a) => a.kind === 'intrusion')).toBe(true);
    } finally {
      await sub.endAsync();
    }
  });

  it('the duress PIN silences exactly like the PIN and raises the silent duress alarm', async () => {
    const hub = await startAlertHub({ receiver, alarm: { siren: { topic: 'test/siren' } } });
    t = hub;
    const owner = await signIn(hub);
    expect((await owner.put('/api/alarm/pins', { pin: PIN, duressPin: DURESS })).status).toBe(204);
    await armed(owner);
    const triggered = hub.hub.bus.next('alarm.triggered');
    opened(hub, FRONT_DOOR);
    await triggered;
    const duress = hub.hub.bus.next('duress');
    const r = await owner.post<{ state: string; sirenOn: boolean }>('/api/alarm/silence', { pin: DURESS });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'triggered', sirenOn: false });
    await duress;
    const audit = await until(
      () => hub.hub.core.audit.entries({ limit: 1000 }),
      (l) => l.some((e) => e.action === 'alarm.duress'),
    );
    const silenced = audit.filter((e) => e.action === 'alarm.siren_silenced');
    expect(silenced).toHaveLength(1);
    // The entry an onlooker's list shows carries no duress flag; the duress has its own (hidden) entry.
    expect(silenced[0]?.subject).not.toHaveProperty('duress');
    expect(audit.filter((e) => e.action === 'alarm.duress').map((e) => e.subject)).toEqual([{ during: 'silence' }]);
  });
});
