import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmSnapshot } from '../../../hub/alarm/module.js';
import type { EventMap } from '../../../hub/api/events.js';
import { OWNER } from '../../helpers/api-client.js';
import { waitFor } from '../../helpers/ports.js';
import { type AlarmHub, allClosed, DURESS_PIN, OWNER_PIN, startAlarmHub } from './alarm-fixture.js';

describe('alarm with real sensors over MQTT', () => {
  let h: AlarmHub | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('arm away, open the entry door: entry delay; the correct PIN disarms before it ends', async () => {
    h = await startAlarmHub({ alarm: { entryDelaySeconds: 5 } });
    await allClosed(h);
    const armed = await h.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_away' });
    expect(armed.status).toBe(200);
    expect(armed.body.state).toBe('armed_away');

    const entry = h.t.hub.bus.next('alarm.state_changed', (e) => e.to === 'entry_delay');
    await h.sim.open('front_door');
    const e = await entry;
    expect(e.from).toBe('armed_away');
    const during = await h.owner.get<AlarmSnapshot>('/api/alarm');
    expect(during.body.state).toBe('entry_delay');
    expect(during.body.triggeredBy?.sensorId).toBe('front-door');
    expect(during.body.delayEndsAt).toBe(e.delayEndsAt);
    expect(during.body.sirenOn).toBe(false);
    expect(during.body.sensors.find((s) => s.id === 'front-door')?.open).toBe(true);

    const off = await h.owner.post<AlarmSnapshot>('/api/alarm/disarm', { pin: OWNER_PIN });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ state: 'disarmed', mode: null, delayEndsAt: null, triggeredBy: null, sirenOn: false });
    expect(h.sim.sirenCommands).toEqual([]);
    const audit = await h.t.hub.core.audit.entries();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['alarm.armed', 'alarm.entry_delay', 'alarm.disarmed']));
    expect(await h.t.hub.core.audit.verify()).toMatchObject({ ok: true });
  });

  it('the entry delay running out triggers the alarm and sounds the siren', async () => {
    h = await startAlarmHub({ alarm: { entryDelaySeconds: 0.3 } });
    await allClosed(h);
    await h.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    const siren = h.sim.nextSiren();
    const triggered = h.t.hub.bus.next('alarm.triggered');
    await h.sim.open('front_door');
    const t = await triggered;
    expect(t.cause?.sensorId).toBe('front-door');
    expect(t.cause?.smartwaterKitCode).toBe('SW-TEST-0001');
    expect(await siren).toMatchObject({ warning: { mode: 'burglar', level: 'very_high', strobe: true } });
    const s = await h.owner.get<AlarmSnapshot>('/api/alarm');
    expect(s.body).toMatchObject({ state: 'triggered', mode: 'armed_away', sirenOn: true });
    const stop = h.sim.nextSiren((p) => (p as { warning?: { mode?: string } }).warning?.mode === 'stop');
    expect((await h.owner.post('/api/alarm/disarm', { pin: OWNER_PIN })).status).toBe(200);
    await stop;
  });

  it('a wrong PIN does not disarm, is counted, and locks the keypad after pinAttempts', async () => {
    h = await startAlarmHub({ alarm: { pinAttempts: 3 } });
    await allClosed(h);
    await h.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    const rejected: Array<EventMap['alarm.pin_rejected']> = [];
    h.t.hub.bus.on('alarm.pin_rejected', 'test', (e) => {
      rejected.push(e);
    });
    const wrong = await h.owner.post<{ error: { code: string } }>('/api/alarm/disarm', { pin: '0000' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('HUB_ERR_BAD_PIN');
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('armed_away');
    expect((await h.owner.post('/api/alarm/disarm', { pin: 'not-a-pin' })).status).toBe(403);
    const third = await h.owner.post<{ error: { code: string } }>('/api/alarm/disarm', { pin: '9999' });
    expect(third.status).toBe(429);
    expect(rejected.map((r) => r.attempts)).toEqual([1, 2, 3]);
    expect(rejected[2]?.lockedUntil).toBeGreaterThan(Date.now());
    // Locked: even the right PIN is refused until the lockout ends.
    const locked = await h.owner.post<{ error: { code: string } }>('/api/alarm/disarm', { pin: OWNER_PIN });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('armed_away');
    // A browser session must give a PIN at all.
    expect((await h.owner.post('/api/alarm/disarm', {})).status).toBe(400);
    expect(h.t.logs.text()).not.toContain(OWNER_PIN);
  });

  it('the duress PIN disarms exactly like the normal PIN and raises a silent duress event', async () => {
    h = await startAlarmHub({ alarm: { entryDelaySeconds: 5 } });
    await allClosed(h);
    const hub = h;
    const scenario = async (pin: string) => {
      const changes: Array<EventMap['alarm.state_changed']> = [];
      const off = hub.t.hub.bus.on('alarm.state_changed', 'test', (e) => {
        changes.push(e);
      });
      await hub.owner.post('/api/alarm/arm', { mode: 'armed_away' });
      const entry = hub.t.hub.bus.next('alarm.state_changed', (e) => e.to === 'entry_delay');
      await hub.sim.open('front_door');
      await entry;
      const res = await hub.owner.post<AlarmSnapshot>('/api/alarm/disarm', { pin });
      const after = await hub.owner.get<AlarmSnapshot>('/api/alarm');
      const mqttState = await hub.sim.readRetained('sanctuary/alarm/state');
      const closed = hub.t.hub.bus.next('sensor.closed', (e) => e.sensorId === 'front-door');
      await hub.sim.close('front_door');
      await closed;
      off();
      const strip = (s: AlarmSnapshot) => ({ ...s, sensors: s.sensors.map((x) => ({ ...x, lastChange: typeof x.lastChange })) });
      return {
        status: res.status,
        body: strip(res.body),
        contentType: res.headers.get('content-type'),
        after: strip(after.body),
        mqttState,
        changes: changes.map(({ ts, correlationId, delayEndsAt, ...rest }) => ({ ...rest, delayEndsAt: typeof delayEndsAt })),
      };
    };
    const normal = await scenario(OWNER_PIN);
    const duressEvents: Array<EventMap['duress']> = [];
    h.t.hub.bus.on('duress', 'test', (e) => {
      duressEvents.push(e);
    });
    const coerced = await scenario(DURESS_PIN);
    expect(normal.status).toBe(200);
    expect(normal.body.state).toBe('disarmed');
    expect(coerced).toEqual(normal);
    expect(normal.mqttState).toBe('disarmed');
    expect(duressEvents).toHaveLength(1);
    const me = (await h.owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    expect(duressEvents[0]?.userId).toBe(me);
    const disarms = (await h.t.hub.core.audit.entries()).filter((a) => a.action === 'alarm.disarmed');
    expect(disarms.map((a) => a.subject.duress)).toEqual([false, true]);
    expect(JSON.stringify(coerced)).not.toMatch(/duress/i);
    // The owner's audit listing shows both disarms alike (everyone saw the alarm disarm); only the
    // full chain, behind the password, says which one was made under duress.
    type Listing = { entries: Array<{ action: string; subject: { duress?: boolean } }> };
    const listed = (await h.owner.get<Listing>('/api/audit?action=alarm.disarmed')).body.entries;
    expect(listed).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toMatch(/duress/i);
    expect(listed[0]?.subject).toEqual(listed[1]?.subject);
    expect((await h.owner.post('/api/audit/full', { password: 'wrong password!' })).status).toBe(401);
    const full = (await h.owner.post<Listing>('/api/audit/full', { password: OWNER.password })).body.entries;
    expect(full.filter((e) => e.action === 'alarm.disarmed').map((e) => e.subject.duress)).toEqual([false, true]);
    const after = (await h.owner.get<Listing>('/api/audit')).body.entries.map((e) => e.action);
    expect(after).toContain('audit.full_viewed');
  });

  it('armed_home: a perimeter window triggers at once; interior motion is ignored', async () => {
    h = await startAlarmHub({ alarm: { entryDelaySeconds: 5 } });
    await allClosed(h);
    expect((await h.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_home' })).body.state).toBe('armed_home');
    const motionSeen = h.t.hub.bus.next('sensor.opened', (e) => e.sensorId === 'hall-motion');
    await h.sim.publishRaw('zigbee2mqtt/hall_motion', JSON.stringify({ occupancy: true, battery: 80 }));
    await motionSeen;
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('armed_home');

    const siren = h.sim.nextSiren();
    const triggered = h.t.hub.bus.next('alarm.triggered');
    await h.sim.open('kitchen_window');
    const t = await triggered;
    expect(t.cause?.sensorId).toBe('kitchen-window');
    await siren;
    const s = (await h.owner.get<AlarmSnapshot>('/api/alarm')).body;
    expect(s).toMatchObject({ state: 'triggered', mode: 'armed_home', sirenOn: true, delayEndsAt: null });
    expect(s.triggeredBy).toEqual({
      sensorId: 'kitchen-window',
      name: 'Kitchen window',
      location: 'Kitchen',
      kind: 'window',
      entryRoute: false,
      perimeter: true,
      smartwaterKitCode: 'SW-TEST-0001',
    });
    // The history row is written right after the state changes; under load it can land a moment later.
    const hub = h.t.hub;
    const history = async () =>
      (await hub.core.db.all<{ to_state: string }>('SELECT to_state FROM alarm_history ORDER BY seq')).map((r) => r.to_state);
    await waitFor(async () => (await history()).length >= 2, 'the triggered state in the alarm history');
    expect(await history()).toEqual(['armed_home', 'triggered']);
  });

  it('armed_away: interior motion triggers; a generic MQTT gate sensor triggers too', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    await h.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    const triggered = h.t.hub.bus.next('alarm.triggered');
    await h.sim.publishRaw('zigbee2mqtt/hall_motion', JSON.stringify({ occupancy: true }));
    expect((await triggered).cause?.sensorId).toBe('hall-motion');
    await h.owner.post('/api/alarm/disarm', { pin: OWNER_PIN });

    await h.sim.publishRaw('home/garden/gate', JSON.stringify({ state: { contact: 'closed' } }));
    await h.owner.post('/api/alarm/arm', { mode: 'armed_home' });
    const gate = h.t.hub.bus.next('alarm.triggered');
    await h.sim.publishRaw('home/garden/gate', JSON.stringify({ state: { contact: 'open' } }));
    expect((await gate).cause?.sensorId).toBe('back-gate');
  });

  it('refuses to arm with an open window (409 naming it); force bypasses it until it closes', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    const opened = h.t.hub.bus.next('sensor.opened', (e) => e.sensorId === 'kitchen-window');
    await h.sim.open('kitchen_window');
    await opened;
    const refused = await h.owner.post<{ error: { code: string; message: string; details: { openSensors: Array<{ id: string }> } } }>(
      '/api/alarm/arm',
      { mode: 'armed_home' },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('Kitchen window (Kitchen)');
    expect(refused.body.error.details.openSensors.map((s) => s.id)).toEqual(['kitchen-window']);
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('disarmed');

    expect((await h.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_home', force: true })).body.state).toBe('armed_home');
    // Still open, reported again: bypassed, no alarm.
    await h.sim.report('kitchen_window', { battery: 90 });
    const closed = h.t.hub.bus.next('sensor.closed', (e) => e.sensorId === 'kitchen-window');
    await h.sim.close('kitchen_window');
    await closed;
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('armed_home');
    // Closed once, it is watched again.
    const triggered = h.t.hub.bus.next('alarm.triggered');
    await h.sim.open('kitchen_window');
    expect((await triggered).cause?.sensorId).toBe('kitchen-window');
  });

  it('arming with an exit delay passes through arming; leaving by the entry door is allowed', async () => {
    h = await startAlarmHub({ alarm: { exitDelaySeconds: 0.5 } });
    await allClosed(h);
    const res = await h.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_away' });
    expect(res.body.state).toBe('arming');
    expect(res.body.mode).toBe('armed_away');
    expect(res.body.delayEndsAt).toBeGreaterThan(Date.now());
    expect(await h.sim.retainedBecomes('sanctuary/alarm/state', 'arming')).toBe('arming');
    const armed = h.t.hub.bus.next('alarm.state_changed', (e) => e.to === 'armed_away');
    await h.sim.open('front_door');
    await h.sim.close('front_door');
    const e = await armed;
    expect(e.reason).toBe('exit delay ended');
    expect(await h.sim.retainedBecomes('sanctuary/alarm/state', 'armed_away')).toBe('armed_away');
    // Arming again in the same mode is a no-op; another mode needs a disarm first.
    expect((await h.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_away' })).body.state).toBe('armed_away');
    expect((await h.owner.post('/api/alarm/arm', { mode: 'armed_home' })).status).toBe(409);
  });
});
