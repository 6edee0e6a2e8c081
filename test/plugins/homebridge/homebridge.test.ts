/**
 * The plugin in a real Homebridge against a real hub, driven as a HomeKit controller over HAP
 * HTTP: Zigbee2MQTT messages on the hub's broker reach ContactSensorState, SecuritySystemTargetState
 * arms the hub, a doorbell press reaches an event subscriber, a covert panic shows nothing, the
 * hub going away marks accessories faulted, and a restarted Homebridge restores its cached
 * accessories and drops those the hub no longer has. Needs the private network namespace
 * (Homebridge binds all interfaces and advertises over mDNS).
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmModule } from '../../../hub/alarm/module.js';
import { ZigbeeSim } from '../../../hub/sim/zigbee-sensors.js';
import { MqttSensorsPlugin } from '../../../plugins/mqtt-sensors/index.js';
import { type ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import {
  findCharacteristic,
  type HapAccessory,
  type HapCharacteristic,
  HapClient,
  type HapEventValue,
  HapType,
} from '../../helpers/hap-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { freePort, groupAlive, PLUGIN_DIR, type RunningHomebridge, startHomebridge } from './homebridge-process.js';

const READ_SCOPES = ['alarm:read', 'alarm:arm', 'sensors:read', 'events:read'];

const hubConfig = (port: number) => ({
  http: { port },
  alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0 },
  sensors: [
    {
      id: 'front-door',
      name: 'Front door',
      location: 'Hall',
      kind: 'door' as const,
      entryRoute: true,
      source: { type: 'zigbee2mqtt' as const, friendlyName: 'front_door' },
    },
    {
      id: 'kitchen-window',
      name: 'Kitchen window',
      location: 'Kitchen',
      kind: 'window' as const,
      source: { type: 'zigbee2mqtt' as const, friendlyName: 'kitchen_window' },
    },
    { id: 'hall-pir', name: 'Hall motion', kind: 'motion' as const, source: { type: 'zigbee2mqtt' as const, friendlyName: 'hall_pir' } },
  ],
  cameras: [
    { id: 'doorbell', name: 'Doorbell', kind: 'doorbell' as const, source: { type: 'rtsp' as const, mainUrl: 'rtsp://127.0.0.1:9/none' } },
  ],
});

function startHub(dataDir: string, port: number): Promise<TestHub> {
  return startTestHub({ dataDir, config: hubConfig(port), modules: [new AlarmModule()], plugins: [new MqttSensorsPlugin()] });
}

function char(accessories: HapAccessory[], service: string, type: string, name?: string): HapCharacteristic {
  const c = findCharacteristic(accessories, service, type, name);
  if (!c) throw new Error(`no characteristic ${type} in service ${service}${name ? ` "${name}"` : ''}: ${JSON.stringify(accessories)}`);
  return c;
}

const on = (c: HapCharacteristic, value?: unknown) => (e: HapEventValue) =>
  e.aid === c.aid && e.iid === c.iid && (value === undefined || e.value === value);

describe('homebridge-sanctuary in Homebridge', () => {
  let dataDir: string;
  let hubPort: number;
  let t: TestHub | null = null;
  let owner: ApiClient;
  let sim: ZigbeeSim | null = null;
  let homebridge: RunningHomebridge | null = null;
  let hap: HapClient | null = null;
  let accessories: HapAccessory[] = [];

  beforeAll(async () => {
    // Homebridge loads the built plugin: build this checkout's source first.
    await promisify(execFile)(resolve(PLUGIN_DIR, '../../node_modules/.bin/tsc'), ['-p', resolve(PLUGIN_DIR, 'tsconfig.json')]);
    dataDir = await tempDir();
    hubPort = await freePort();
    t = await startHub(dataDir, hubPort);
    owner = await ownerClient(t.url, t.setupCode);
    sim = new ZigbeeSim(t.mqttUrl);
    await sim.start();
    for (const name of ['front_door', 'kitchen_window']) await sim.close(name);
    // The owner issues a token without "alarm:disarm": Apple Home may arm but not disarm.
    const issued = await owner.post<{ token: string }>('/api/tokens', { name: 'Homebridge', scopes: READ_SCOPES });
    expect(issued.status).toBe(200);
    homebridge = await startHomebridge({
      platform: {
        name: 'Sanctuary',
        hubUrl: t.url,
        token: issued.body.token,
        reconnectInitialMs: 100,
        reconnectMaxMs: 500,
        personTimeoutSeconds: 2,
      },
    });
    await homebridge.waitForOutput(/connected to the hub/);
    hap = await HapClient.connect('127.0.0.1', homebridge.port, homebridge.pin);
    accessories = await hap.accessories();
    expect(homebridge.output()).not.toContain(issued.body.token);
  }, 60_000);

  afterAll(async () => {
    await hap?.close();
    if (homebridge) {
      const pid = homebridge.process.pid!;
      await homebridge.stop();
      expect(homebridge.process.exitCode !== null || homebridge.process.signalCode !== null).toBe(true);
      expect(groupAlive(pid)).toBe(false);
      await rm(homebridge.storageDir, { recursive: true, force: true });
    }
    await sim?.stop();
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('exposes the alarm, one contact sensor per door and window, the doorbell and "person at the door"', () => {
    const names = accessories.flatMap((a) => a.services.map((s) => s.characteristics.find((c) => c.type === HapType.Name)?.value));
    expect(names).toEqual(expect.arrayContaining(['Sanctuary', 'Front door', 'Kitchen window', 'Doorbell', 'Person at the door']));
    expect(names).not.toContain('Hall motion');
    expect(accessories.flatMap((a) => a.services).filter((s) => s.type === HapType.ContactSensor)).toHaveLength(2);
    const target = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemTargetState);
    expect(target['valid-values']).toEqual([0, 1, 3]);
    expect(target.value).toBe(3);
    expect(char(accessories, HapType.ContactSensor, HapType.StatusFault, 'Front door').value).toBe(0);
  });

  it('a sensor tripped on the broker changes ContactSensorState', async () => {
    const contact = char(accessories, HapType.ContactSensor, HapType.ContactSensorState, 'Front door');
    expect(await hap!.read(contact.aid, contact.iid)).toBe(0);
    await hap!.subscribe([contact]);
    const since = hap!.events.length;
    await sim!.open('front_door');
    await hap!.waitForEvent(on(contact, 1), 10_000, since);
    expect(await hap!.read(contact.aid, contact.iid)).toBe(1);
    await sim!.close('front_door');
    await hap!.waitForEvent(on(contact, 0), 10_000, since);
  });

  it('tamper, low battery and a sensor going offline show on its ContactSensor', async () => {
    const tamper = char(accessories, HapType.ContactSensor, HapType.StatusTampered, 'Kitchen window');
    const low = char(accessories, HapType.ContactSensor, HapType.StatusLowBattery, 'Kitchen window');
    const fault = char(accessories, HapType.ContactSensor, HapType.StatusFault, 'Kitchen window');
    await hap!.subscribe([tamper, low, fault]);
    let since = hap!.events.length;
    await sim!.report('kitchen_window', { tamper: true });
    await hap!.waitForEvent(on(tamper, 1), 10_000, since);
    await sim!.report('kitchen_window', { tamper: false, battery: 5 });
    await hap!.waitForEvent(on(tamper, 0), 10_000, since);
    await hap!.waitForEvent(on(low, 1), 10_000, since);
    since = hap!.events.length;
    await sim!.report('kitchen_window', { battery: 90 });
    await hap!.waitForEvent(on(low, 0), 10_000, since);
    await sim!.availability('kitchen_window', false);
    await hap!.waitForEvent(on(fault, 1), 10_000, since);
    await sim!.availability('kitchen_window', true);
    await hap!.waitForEvent(on(fault, 0), 10_000, since);
  });

  it('a covert panic changes nothing in Apple Home', async () => {
    const current = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemCurrentState);
    const window = char(accessories, HapType.ContactSensor, HapType.ContactSensorState, 'Kitchen window');
    await hap!.subscribe([current, window]);
    const since = hap!.events.length;
    const panics: unknown[] = [];
    const off = t!.hub.bus.on('panic', 'test', (e) => {
      panics.push(e);
    });
    expect((await owner.post('/api/panic', {})).status).toBe(200);
    off();
    expect(panics).toHaveLength(1);
    // A later change is a marker: HAP delivers in order, so anything the panic caused came first.
    await sim!.open('kitchen_window');
    await hap!.waitForEvent(on(window, 1), 10_000, since);
    await sim!.close('kitchen_window');
    await hap!.waitForEvent(on(window, 0), 10_000, since);
    expect(hap!.events.slice(since).filter(on(current))).toEqual([]);
    expect(await hap!.read(current.aid, current.iid)).toBe(3);
  });

  it('setting SecuritySystemTargetState arms the hub; disarming needs the owner to allow it', async () => {
    const target = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemTargetState);
    const current = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemCurrentState);
    await hap!.subscribe([current]);
    const since = hap!.events.length;
    const armed = await hap!.write(target.aid, target.iid, 1);
    expect(armed.status).toBe(204);
    const alarm = await owner.get<{ state: string; mode: string }>('/api/alarm');
    expect(alarm.body).toMatchObject({ state: 'armed_away', mode: 'armed_away' });
    await hap!.waitForEvent(on(current, 1), 10_000, since);

    const refused = await hap!.write(target.aid, target.iid, 3);
    expect(refused.status).toBe(207);
    expect(refused.body).toEqual({ characteristics: [{ aid: target.aid, iid: target.iid, status: -70401 }] });
    expect((await owner.get<{ state: string }>('/api/alarm')).body.state).toBe('armed_away');
    expect(await hap!.read(target.aid, target.iid)).toBe(1);
    await homebridge!.waitForOutput(
      /asked the hub to disarm, but the owner has not allowed that from Apple Home: the hub's token lacks the "alarm:disarm" scope/,
    );
  });

  it('an intrusion while armed shows as ALARM_TRIGGERED', async () => {
    const current = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemCurrentState);
    const since = hap!.events.length;
    await sim!.open('front_door');
    await hap!.waitForEvent(on(current, 4), 10_000, since);
    expect((await owner.get<{ state: string }>('/api/alarm')).body.state).toBe('triggered');
    await sim!.close('front_door');
  });

  it('a doorbell press reaches an event subscriber; person detection drives "Person at the door"', async () => {
    const press = char(accessories, HapType.Doorbell, HapType.ProgrammableSwitchEvent);
    const person = char(accessories, HapType.OccupancySensor, HapType.OccupancyDetected, 'Person at the door');
    await hap!.subscribe([press, person]);
    const since = hap!.events.length;
    t!.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'doorbell' });
    await hap!.waitForEvent(on(press, 0), 10_000, since);

    const box = { x1: 0.4, y1: 0.2, x2: 0.6, y2: 0.9 };
    t!.hub.bus.emit('person.detected', { source: 'test', cameraId: 'doorbell', trackId: 't1', score: 0.9, box, zones: [], snapshot: null });
    await hap!.waitForEvent(on(person, 1), 10_000, since);
    t!.hub.bus.emit('person.left', { source: 'test', cameraId: 'doorbell', trackId: 't1', durationMs: 4000 });
    await hap!.waitForEvent(on(person, 0), 10_000, since);

    // No `person.left` (an event lost in a hub restart): it clears after personTimeoutSeconds.
    const again = hap!.events.length;
    t!.hub.bus.emit('person.detected', { source: 'test', cameraId: 'doorbell', trackId: 't2', score: 0.8, box, zones: [], snapshot: null });
    await hap!.waitForEvent(on(person, 1), 10_000, again);
    await hap!.waitForEvent(on(person, 0), 10_000, again);
  });

  it('a sensor the installer adds appears in Apple Home when it first reports', async () => {
    const saved = await owner.put('/api/devices/sensors/back-door', {
      name: 'Back door',
      kind: 'door',
      entryRoute: true,
      source: { type: 'zigbee2mqtt', friendlyName: 'back_door' },
    });
    expect(saved.status).toBe(200);
    await sim!.close('back_door');
    await homebridge!.waitForOutput(/added "Back door" \(sensor:back-door\)/);
    accessories = await hap!.accessories();
    const contact = char(accessories, HapType.ContactSensor, HapType.ContactSensorState, 'Back door');
    expect(contact.value).toBe(0);
  });

  it('marks accessories faulted while the hub is unreachable and recovers when it is back', async () => {
    const fault = char(accessories, HapType.ContactSensor, HapType.StatusFault, 'Front door');
    const alarmFault = char(accessories, HapType.SecuritySystem, HapType.StatusFault);
    await hap!.subscribe([fault, alarmFault]);
    const since = hap!.events.length;
    await sim!.stop();
    sim = null;
    await t!.close();
    t = null;
    await hap!.waitForEvent(on(fault, 1), 10_000, since);
    await hap!.waitForEvent(on(alarmFault, 1), 10_000, since);

    const back = hap!.events.length;
    t = await startHub(dataDir, hubPort);
    sim = new ZigbeeSim(t.mqttUrl);
    await sim.start();
    await hap!.waitForEvent(on(fault, 0), 10_000, back);
    await hap!.waitForEvent(on(alarmFault, 0), 10_000, back);
    // A triggered alarm is still triggered after the hub's restart, and Apple Home still says so.
    const current = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemCurrentState);
    expect(await hap!.read(current.aid, current.iid)).toBe(4);
  });

  it('a restarted Homebridge restores cached accessories, drops removed ones, and may disarm with "alarm:disarm"', async () => {
    const frontBefore = char(accessories, HapType.ContactSensor, HapType.ContactSensorState, 'Front door');
    const removed = await owner.delete(`/api/devices/kitchen-window`);
    expect(removed.status).toBe(204);
    const issued = await owner.post<{ token: string }>('/api/tokens', {
      name: 'Homebridge 2',
      scopes: [...READ_SCOPES, 'alarm:disarm'],
      password: OWNER.password,
    });
    expect(issued.status).toBe(200);

    await hap!.close();
    hap = null;
    const storageDir = homebridge!.storageDir;
    const firstPid = homebridge!.process.pid!;
    expect(await homebridge!.stop()).not.toBeNull();
    expect(groupAlive(firstPid)).toBe(false);
    homebridge = await startHomebridge({
      storageDir,
      platform: { name: 'Sanctuary', hubUrl: t!.url, token: issued.body.token, reconnectInitialMs: 100, reconnectMaxMs: 500 },
    });
    await homebridge.waitForOutput(/removing accessories the hub no longer has: Kitchen window/);
    expect(homebridge.output()).not.toMatch(/added "Front door"/);
    hap = await HapClient.connect('127.0.0.1', homebridge.port, homebridge.pin);
    accessories = await hap.accessories();
    const front = char(accessories, HapType.ContactSensor, HapType.ContactSensorState, 'Front door');
    expect(front.aid).toBe(frontBefore.aid);
    expect(findCharacteristic(accessories, HapType.ContactSensor, HapType.ContactSensorState, 'Kitchen window')).toBeUndefined();

    const current = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemCurrentState);
    expect(current.value).toBe(4);
    const target = char(accessories, HapType.SecuritySystem, HapType.SecuritySystemTargetState);
    await hap.subscribe([current]);
    const since = hap.events.length;
    expect((await hap.write(target.aid, target.iid, 3)).status).toBe(204);
    expect((await owner.get<{ state: string }>('/api/alarm')).body.state).toBe('disarmed');
    await hap.waitForEvent(on(current, 3), 10_000, since);
  }, 60_000);
});
