import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmSnapshot } from '../../../hub/alarm/module.js';
import type { EventMap, EventName } from '../../../hub/api/events.js';
import { tempDir } from '../../helpers/hub.js';
import { type AlarmHub, startAlarmHub } from '../../hub/alarm/alarm-fixture.js';

type Seen = Array<{ name: EventName; event: EventMap[EventName] }>;

function record(h: AlarmHub): Seen {
  const seen: Seen = [];
  h.t.hub.bus.onAny('test', (name, event) => {
    if (name.startsWith('sensor.') || name === 'button.pressed' || name === 'panic') seen.push({ name, event });
  });
  return seen;
}

const names = (seen: Seen, exclude: EventName[] = ['sensor.seen']) => seen.filter((s) => !exclude.includes(s.name)).map((s) => s.name);

describe('mqtt-sensors plugin: Zigbee2MQTT and generic sensors', () => {
  let h: AlarmHub | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('emits opened/closed only on a change; contact true means closed; a first "closed" is silent', async () => {
    h = await startAlarmHub();
    const seen = record(h);
    const last = () => h?.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'front-door');
    let s = last();
    await h.sim.close('front_door');
    await s;
    expect(names(seen)).toEqual([]);
    s = last();
    await h.sim.open('front_door');
    await s;
    s = last();
    await h.sim.open('front_door');
    await s;
    s = last();
    await h.sim.close('front_door');
    await s;
    s = last();
    await h.sim.close('front_door');
    await s;
    expect(names(seen)).toEqual(['sensor.opened', 'sensor.closed']);
    const opened = seen.find((x) => x.name === 'sensor.opened')?.event as EventMap['sensor.opened'];
    expect(opened).toMatchObject({
      source: 'mqtt-sensors',
      sensorId: 'front-door',
      name: 'Front door',
      location: 'Hallway',
      kind: 'door',
      entryRoute: true,
      perimeter: true,
      smartwaterKitCode: 'SW-TEST-0001',
    });
    const view = (await h.owner.get<AlarmSnapshot>('/api/alarm')).body.sensors.find((x) => x.id === 'front-door');
    expect(view).toMatchObject({
      open: false,
      online: true,
      tamper: false,
      batteryLow: false,
      battery: 97,
      smartwater: { marked: true, kitCode: 'SW-TEST-0001' },
    });
    expect(view?.lastChange).toEqual(expect.any(Number));
    const retained = JSON.parse((await h.sim.readRetained('sanctuary/sensor/front-door/state')) ?? '{}') as Record<string, unknown>;
    expect(retained).toMatchObject({ id: 'front-door', open: false, online: true, battery: 97 });
  });

  it('a first report of "open" counts (an armed alarm must act on it)', async () => {
    h = await startAlarmHub();
    const opened = h.t.hub.bus.next('sensor.opened', (e) => e.sensorId === 'kitchen-window');
    await h.sim.open('kitchen_window');
    expect((await opened).kind).toBe('window');
  });

  it('tamper, low battery, availability offline/online', async () => {
    h = await startAlarmHub();
    const seen = record(h);
    let s = h.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'kitchen-window');
    await h.sim.close('kitchen_window');
    await s;
    const tamper = h.t.hub.bus.next('sensor.tamper');
    await h.sim.report('kitchen_window', { tamper: true });
    expect((await tamper).active).toBe(true);
    const low = h.t.hub.bus.next('sensor.battery_low');
    await h.sim.report('kitchen_window', { battery: 9 });
    expect((await low).battery).toBe(9);
    s = h.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'kitchen-window');
    await h.sim.report('kitchen_window', { battery: 8 });
    await s;
    const offline = h.t.hub.bus.next('sensor.offline');
    await h.sim.availability('kitchen_window', false);
    expect((await offline).reason).toBe('unavailable');
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.sensors.find((x) => x.id === 'kitchen-window')).toMatchObject({
      tamper: true,
      batteryLow: true,
      battery: 8,
      online: false,
    });
    const online = h.t.hub.bus.next('sensor.online');
    // Legacy Zigbee2MQTT availability payloads are plain text.
    await h.sim.publishRaw('zigbee2mqtt/kitchen_window/availability', 'online');
    await online;
    expect(names(seen)).toEqual(['sensor.tamper', 'sensor.battery_low', 'sensor.offline', 'sensor.online']);
  });

  it('a sensor that stops reporting goes offline after its check-in interval', async () => {
    let offset = 0;
    h = await startAlarmHub({ clock: { now: () => Date.now() + offset } });
    const s = h.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'front-door');
    await h.sim.close('front_door');
    await s;
    // Silent for 599 s of its 600: still online.
    offset = 599_000;
    await new Promise((r) => setTimeout(r, 200));
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.sensors.find((x) => x.id === 'front-door')?.online).toBe(true);
    const offline = h.t.hub.bus.next('sensor.offline', (e) => e.sensorId === 'front-door');
    offset = 601_000;
    const e = await offline;
    expect(e.reason).toBe('silent');
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body.sensors.find((x) => x.id === 'front-door')?.online).toBe(false);
    const back = h.t.hub.bus.next('sensor.online', (x) => x.sensorId === 'front-door');
    await h.sim.close('front_door');
    await back;
  });

  it('a button press is reported; a panic action raises a covert panic (nothing visible changes)', async () => {
    h = await startAlarmHub();
    const press = h.t.hub.bus.next('button.pressed');
    await h.sim.press('bedside_button', 'single');
    expect(await press).toMatchObject({ sensorId: 'panic-button', action: 'single', panic: false });
    const before = (await h.owner.get<AlarmSnapshot>('/api/alarm')).body;
    const panic = h.t.hub.bus.next('panic');
    await h.sim.press('bedside_button', 'hold');
    expect(await panic).toMatchObject({ origin: 'button', loud: false, userId: null });
    const after = (await h.owner.get<AlarmSnapshot>('/api/alarm')).body;
    expect(after).toEqual(before);
    expect(h.sim.sirenCommands).toEqual([]);
    expect(await h.sim.readRetained('sanctuary/alarm/state')).toBe('disarmed');
  });

  it('generic topics: raw payloads and JSON paths mapped through open/closed values', async () => {
    h = await startAlarmHub();
    const seen = record(h);
    const shed = h.t.hub.bus.next('sensor.opened', (e) => e.sensorId === 'shed-door');
    await h.sim.publishRaw('home/garden/shed', '0');
    await h.sim.publishRaw('home/garden/shed', '1');
    await shed;
    const gate = h.t.hub.bus.next('sensor.closed', (e) => e.sensorId === 'back-gate');
    await h.sim.publishRaw('home/garden/gate', JSON.stringify({ state: { contact: 'OPEN' } }));
    await h.sim.publishRaw('home/garden/gate', JSON.stringify({ state: { contact: 'closed' } }));
    await gate;
    expect(names(seen)).toEqual(['sensor.opened', 'sensor.opened', 'sensor.closed']);
  });

  it('remembers each sensor across a restart: an unchanged report is silent, a change while down is reported', async () => {
    const dataDir = await tempDir();
    h = await startAlarmHub({ dataDir, keepDataDir: true });
    const s1 = h.t.hub.bus.next('sensor.opened', (e) => e.sensorId === 'kitchen-window');
    await h.sim.open('kitchen_window');
    await s1;
    const s2 = h.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'front-door');
    await h.sim.close('front_door');
    await s2;
    await h.close();
    h = await startAlarmHub({ dataDir, keepDataDir: true, existingOwner: true });
    const seen = record(h);
    const a = h.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'kitchen-window');
    await h.sim.open('kitchen_window');
    await a;
    const b = h.t.hub.bus.next('sensor.opened', (e) => e.sensorId === 'front-door');
    await h.sim.open('front_door');
    await b;
    expect(names(seen)).toEqual(['sensor.opened']);
    expect((seen.find((x) => x.name === 'sensor.opened')?.event as EventMap['sensor.opened'] | undefined)?.sensorId).toBe('front-door');
  });
  it('follows the device registry: a sensor added by the installer is watched at once, a removed one ignored', async () => {
    h = await startAlarmHub();
    const put = await h.owner.put('/api/devices/sensors/porch-door', {
      name: 'Porch door',
      kind: 'door',
      source: { type: 'generic', topic: 'home/porch/door', jsonPath: null, openValues: ['OPEN'], closedValues: ['SHUT'] },
    });
    expect(put.status).toBe(200);
    const opened = h.t.hub.bus.next('sensor.opened', (e) => e.sensorId === 'porch-door');
    // The new topic's subscription is made asynchronously: publish until the hub has it
    // (`opened` is awaited below, so its outcome, success or timeout, is what the test reports).
    let got = false;
    opened.then(
      () => {
        got = true;
      },
      () => {
        got = true;
      },
    );
    for (let i = 0; i < 100 && !got; i++) {
      await h.sim.publishRaw('home/porch/door', 'OPEN');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await opened).name).toBe('Porch door');
    expect((await h.owner.delete('/api/devices/porch-door')).status).toBe(204);
    const before = h.plugin.handled;
    await h.sim.publishRaw('home/porch/door', 'SHUT');
    await h.sim.publishRaw('zigbee2mqtt/front_door', '{"contact":true}');
    await new Promise((r) => setTimeout(r, 200));
    // The porch topic is unsubscribed: only the front door message arrives.
    expect(h.plugin.handled - before).toBe(1);
  });
});
