/** The alarm survives a restart: same data dir, a new hub process-equivalent (new broker, new HTTP server). */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmSnapshot } from '../../../hub/alarm/module.js';
import { tempDir } from '../../helpers/hub.js';
import { type AlarmHub, type AlarmHubOptions, allClosed, OWNER_PIN, startAlarmHub } from './alarm-fixture.js';

describe('alarm state across a restart', () => {
  let h: AlarmHub | null = null;
  let dataDir: string | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = null;
  });

  async function first(opts: AlarmHubOptions = {}): Promise<AlarmHub> {
    dataDir = await tempDir();
    h = await startAlarmHub({ ...opts, dataDir, keepDataDir: true });
    await allClosed(h);
    return h;
  }

  async function restart(opts: AlarmHubOptions = {}): Promise<AlarmHub> {
    await h?.close();
    h = null;
    if (!dataDir) throw new Error('no data dir');
    h = await startAlarmHub({ ...opts, dataDir, keepDataDir: true, existingOwner: true });
    return h;
  }

  it('a hub rebooted while armed comes back armed, still watching, with its MQTT state republished', async () => {
    const a = await first();
    expect((await a.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_home' })).body.state).toBe('armed_home');
    const b = await restart();
    const s = (await b.owner.get<AlarmSnapshot>('/api/alarm')).body;
    expect(s).toMatchObject({ state: 'armed_home', mode: 'armed_home', sirenOn: false });
    expect(s.sensors.find((x) => x.id === 'kitchen-window')?.open).toBe(false);
    expect(await b.sim.readRetained('sanctuary/alarm/state')).toBe('armed_home');
    const triggered = b.t.hub.bus.next('alarm.triggered');
    await b.sim.open('kitchen_window');
    expect((await triggered).cause?.sensorId).toBe('kitchen-window');
  });

  it('a triggered alarm is not forgotten: it comes back triggered and the siren resumes', async () => {
    const a = await first({ alarm: { sirenMaxSeconds: 60 } });
    await a.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    const triggered = a.t.hub.bus.next('alarm.triggered');
    await a.sim.open('kitchen_window');
    await triggered;
    const b = await restart({ alarm: { sirenMaxSeconds: 60 } });
    const s = (await b.owner.get<AlarmSnapshot>('/api/alarm')).body;
    expect(s).toMatchObject({ state: 'triggered', mode: 'armed_away', sirenOn: true });
    expect(s.triggeredBy?.sensorId).toBe('kitchen-window');
    expect(await b.sim.readRetained('sanctuary/alarm/state')).toBe('triggered');
    const stop = b.sim.nextSiren((p) => (p as { warning?: { mode?: string } }).warning?.mode === 'stop');
    expect((await b.owner.post<AlarmSnapshot>('/api/alarm/disarm', { pin: OWNER_PIN })).body.state).toBe('disarmed');
    await stop;
  });

  it('a reboot during the entry delay continues the countdown from the stored end time', async () => {
    const a = await first({ alarm: { entryDelaySeconds: 2 } });
    await a.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    const entry = a.t.hub.bus.next('alarm.state_changed', (e) => e.to === 'entry_delay');
    await a.sim.open('front_door');
    const endsAt = (await entry).delayEndsAt;
    expect(endsAt).toEqual(expect.any(Number));
    const b = await restart({ alarm: { entryDelaySeconds: 2 } });
    const triggered = b.t.hub.bus.next('alarm.triggered', () => true, 5_000);
    const s = (await b.owner.get<AlarmSnapshot>('/api/alarm')).body;
    expect(s.state).toBe('entry_delay');
    expect(s.delayEndsAt).toBe(endsAt);
    const t = await triggered;
    expect(t.ts).toBeGreaterThanOrEqual(endsAt ?? 0);
    expect(t.reason).toBe('entry delay ended without a PIN');
    expect(t.cause?.sensorId).toBe('front-door');
  });

  it('an entry delay that ran out while the hub was off ends in triggered at start', async () => {
    const a = await first({ alarm: { entryDelaySeconds: 0.3 } });
    await a.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    const entry = a.t.hub.bus.next('alarm.state_changed', (e) => e.to === 'entry_delay');
    await a.sim.open('front_door');
    await entry;
    // Stop before the delay ends (the timer dies with the hub), start again after it would have.
    await a.close();
    h = null;
    await new Promise((r) => setTimeout(r, 400));
    const b = await restart({ alarm: { entryDelaySeconds: 0.3 } });
    await new Promise((r) => setTimeout(r, 50));
    expect((await b.owner.get<AlarmSnapshot>('/api/alarm')).body).toMatchObject({ state: 'triggered', sirenOn: true });
  });

  it('the wrong-PIN lockout survives a restart', async () => {
    const a = await first({ alarm: { pinAttempts: 2 } });
    await a.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    await a.owner.post('/api/alarm/disarm', { pin: '1111' });
    expect((await a.owner.post('/api/alarm/disarm', { pin: '2222' })).status).toBe(429);
    const b = await restart({ alarm: { pinAttempts: 2 } });
    expect((await b.owner.post('/api/alarm/disarm', { pin: OWNER_PIN })).status).toBe(429);
    expect((await b.owner.get<AlarmSnapshot>('/api/alarm')).body.state).toBe('armed_away');
  });
});
