import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmSnapshot } from '../../../hub/alarm/module.js';
import type { EventMap } from '../../../hub/api/events.js';
import { ApiClient, invitedClient, OWNER } from '../../helpers/api-client.js';
import { type AlarmHub, allClosed, DURESS_PIN, OWNER_PIN, startAlarmHub } from './alarm-fixture.js';

describe('alarm API: roles, tokens, PINs, panic and SmartWater', () => {
  let h: AlarmHub | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('only the owner arms, disarms, panics and sets PINs; installers may read; police and advocates see nothing', async () => {
    h = await startAlarmHub();
    const installer = await invitedClient(h.t.url, h.owner, 'installer', 'ivy');
    const police = await invitedClient(h.t.url, h.owner, 'police', 'pc-jones');
    const advocate = await invitedClient(h.t.url, h.owner, 'advocate', 'ada');
    const anonymous = new ApiClient(h.t.url);
    expect((await installer.get('/api/alarm')).status).toBe(200);
    for (const c of [police, advocate]) expect((await c.get('/api/alarm')).status).toBe(403);
    expect((await anonymous.get('/api/alarm')).status).toBe(401);
    for (const c of [installer, police, advocate]) {
      expect((await c.post('/api/alarm/arm', { mode: 'armed_away' })).status).toBe(403);
      expect((await c.post('/api/alarm/disarm', { pin: OWNER_PIN })).status).toBe(403);
      expect((await c.post('/api/panic', {})).status).toBe(403);
      expect((await c.post('/api/smartwater', { note: 'x' })).status).toBe(403);
      expect((await c.put('/api/alarm/pins', { pin: '1234', duressPin: '4321' })).status).toBe(403);
      expect((await c.put('/api/alarm/settings', { loudPanic: true })).status).toBe(403);
    }
    expect((await anonymous.post('/api/panic', {})).status).toBe(401);
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('disarmed');
  });

  it('API tokens: alarm:read reads, alarm:arm arms, alarm:disarm disarms without a PIN (the Apple Home permission)', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    const token = async (scopes: string[]) => {
      const r = await h?.owner.post<{ token: string }>('/api/tokens', { name: scopes.join('+'), scopes, password: OWNER.password });
      if (r?.status !== 200) throw new Error(`token: ${r?.status}`);
      return ApiClient.withToken(h?.t.url ?? '', r.body.token);
    };
    const reader = await token(['alarm:read']);
    const armer = await token(['alarm:read', 'alarm:arm']);
    const homekit = await token(['alarm:read', 'alarm:arm', 'alarm:disarm']);
    expect((await reader.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('disarmed');
    expect((await reader.post('/api/alarm/arm', { mode: 'armed_home' })).status).toBe(403);
    expect((await armer.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_home' })).body.state).toBe('armed_home');
    expect((await armer.post('/api/alarm/disarm', {})).status).toBe(403);
    const off = await homekit.post<AlarmSnapshot>('/api/alarm/disarm', {});
    expect(off.status).toBe(200);
    expect(off.body.state).toBe('disarmed');
    // Tokens never set PINs, panic or change settings.
    expect((await homekit.put('/api/alarm/pins', { pin: '1234', duressPin: '4321' })).status).toBe(403);
    expect((await homekit.post('/api/panic', {})).status).toBe(403);
    const disarm = (await h.t.hub.core.audit.entries()).filter((a) => a.action === 'alarm.disarmed').at(-1);
    expect(disarm?.subject).toMatchObject({ by: 'api token', duress: false });
  });

  it('PINs: 4-8 digits, the duress PIN must differ; audited without the PINs; never logged', async () => {
    h = await startAlarmHub({ noPins: true });
    await allClosed(h);
    // No PIN yet: arming from the app is refused (nothing to disarm with), with a clear message.
    const early = await h.owner.post<{ error: { code: string; message: string } }>('/api/alarm/arm', { mode: 'armed_away' });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('set your alarm PIN first');
    for (const bad of [
      { pin: '123', duressPin: '4321' },
      { pin: '123456789', duressPin: '4321' },
      { pin: '12a4', duressPin: '4321' },
      { pin: '5555', duressPin: '5555' },
      { pin: '5555' },
    ]) {
      const r = await h.owner.put<{ error: { code: string } }>('/api/alarm/pins', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.code).toBe('HUB_ERR_VALIDATION');
    }
    expect((await h.owner.get<{ pinSet: boolean }>('/api/alarm/settings')).body.pinSet).toBe(false);
    expect((await h.owner.put('/api/alarm/pins', { pin: '80061234', duressPin: '80064321' })).status).toBe(204);
    expect((await h.owner.get<{ pinSet: boolean }>('/api/alarm/settings')).body.pinSet).toBe(true);
    expect((await h.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_away', pin: '80061234' })).body.state).toBe('armed_away');
    expect((await h.owner.post<AlarmSnapshot>('/api/alarm/disarm', { pin: '80061234' })).body.state).toBe('disarmed');
    const audit = await h.t.hub.core.audit.entries();
    expect(audit.some((a) => a.action === 'alarm.pins_set')).toBe(true);
    const text = JSON.stringify(audit) + h.t.logs.text();
    expect(text).not.toContain('80061234');
    expect(text).not.toContain('80064321');
    const rows = await h.t.hub.core.db.all<{ pin_hash: string }>('SELECT pin_hash FROM alarm_pins');
    expect(rows[0]?.pin_hash).toMatch(/^scrypt\$/);
  });

  it('panic is covert by default: same answer, nothing visible changes, a silent panic event', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    const before = (await h.owner.get<AlarmSnapshot>('/api/alarm')).body;
    const panic = h.t.hub.bus.next('panic');
    const r = await h.owner.post('/api/panic', {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
    const me = (await h.owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    expect(await panic).toMatchObject({ origin: 'api', loud: false, userId: me });
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body).toEqual(before);
    expect(await h.sim.readRetained('sanctuary/alarm/state')).toBe('disarmed');
    expect(h.sim.sirenCommands).toEqual([]);
    expect((await h.t.hub.core.audit.entries()).find((a) => a.action === 'alarm.panic')?.subject).toMatchObject({
      origin: 'api',
      loud: false,
    });
  });

  it('a loud panic (the victim chose it, audited) triggers the alarm and sounds the siren; the answer is the same', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    const set = await h.owner.put<{ loudPanic: boolean }>('/api/alarm/settings', { loudPanic: true });
    expect(set.body.loudPanic).toBe(true);
    expect((await h.t.hub.core.audit.entries()).find((a) => a.action === 'alarm.panic_mode_changed')?.subject).toEqual({ loudPanic: true });
    const siren = h.sim.nextSiren();
    const panic = h.t.hub.bus.next('panic');
    const r = await h.owner.post('/api/panic');
    expect(r.body).toEqual({ ok: true });
    expect((await panic).loud).toBe(true);
    await siren;
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body).toMatchObject({ state: 'triggered', sirenOn: true, triggeredBy: null });
    // A panic button press while loud panic is on also sounds (after a disarm).
    await h.owner.post('/api/alarm/disarm', { pin: OWNER_PIN });
    const again = h.t.hub.bus.next('alarm.triggered');
    await h.sim.press('bedside_button', 'double');
    expect((await again).reason).toBe('panic');
  });

  it('a duress PIN used to arm arms normally and raises duress', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    const duress = h.t.hub.bus.next('duress');
    expect((await h.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_home', pin: DURESS_PIN })).body.state).toBe('armed_home');
    await duress;
  });

  it('SmartWater: recorded as an event that marks footage either side as evidence', async () => {
    h = await startAlarmHub();
    const events: Array<EventMap['smartwater.used'] | EventMap['evidence.marked']> = [];
    h.t.hub.bus.on('smartwater.used', 'test', (e) => {
      events.push(e);
    });
    h.t.hub.bus.on('evidence.marked', 'test', (e) => {
      events.push(e);
    });
    const r = await h.owner.post<{ ok: boolean; markedFrom: number; markedTo: number }>('/api/smartwater', {
      note: 'sprayed him at the back door',
    });
    expect(r.status).toBe(200);
    const [used, marked] = events as [EventMap['smartwater.used'], EventMap['evidence.marked']];
    expect(used.note).toBe('sprayed him at the back door');
    expect(r.body).toEqual({ ok: true, markedFrom: used.ts - 10 * 60_000, markedTo: used.ts + 10 * 60_000 });
    expect(marked).toMatchObject({ fromTs: r.body.markedFrom, toTs: r.body.markedTo, correlationId: used.correlationId });
    expect(marked.reason).toContain('SmartWater');
    expect((await h.owner.post('/api/smartwater')).status).toBe(200);
    expect((await h.t.hub.core.audit.entries()).filter((a) => a.action === 'smartwater.used')).toHaveLength(2);
  });
});
