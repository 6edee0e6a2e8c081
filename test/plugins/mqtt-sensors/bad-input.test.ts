/**
 * Bad input on every topic the sensors plugin subscribes to, while the alarm is armed: malformed
 * JSON, wrong types, unknown devices, 1 MB payloads and a burst of 10,000 messages. Each is
 * refused and logged (rate-limited), nothing crashes, nothing triggers, no state changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmSnapshot } from '../../../hub/alarm/module.js';
import type { EventName } from '../../../hub/api/events.js';
import { type AlarmHub, allClosed, startAlarmHub } from '../../hub/alarm/alarm-fixture.js';

const MB = 1024 * 1024;
/** Looks like "front door open" but is 1 MB: refused before it is parsed. */
const hugeOpen = `{"contact":false,"pad":"${'x'.repeat(MB)}"}`;

const BAD: Array<[topic: string, payload: string]> = [
  // Zigbee2MQTT device topics
  ['zigbee2mqtt/front_door', '{"contact":'],
  ['zigbee2mqtt/front_door', 'not json at all'],
  ['zigbee2mqtt/front_door', '\u0000\u00ff\u0001binary'],
  ['zigbee2mqtt/front_door', ''],
  ['zigbee2mqtt/front_door', '{"contact":"open"}'],
  ['zigbee2mqtt/front_door', '{"contact":0}'],
  ['zigbee2mqtt/front_door', '{"contact":false,"battery":"full"}'],
  ['zigbee2mqtt/front_door', '{"contact":false,"battery":500}'],
  ['zigbee2mqtt/kitchen_window', '{"tamper":"yes"}'],
  ['zigbee2mqtt/kitchen_window', '[{"contact":false}]'],
  ['zigbee2mqtt/kitchen_window', 'null'],
  ['zigbee2mqtt/kitchen_window', '42'],
  ['zigbee2mqtt/kitchen_window', '"contact"'],
  ['zigbee2mqtt/kitchen_window', '{"colour":"red"}'],
  ['zigbee2mqtt/hall_motion', '{"occupancy":"true"}'],
  ['zigbee2mqtt/bedside_button', '{"action":5}'],
  ['zigbee2mqtt/bedside_button', '{"action":{"hold":true}}'],
  ['zigbee2mqtt/front_door', hugeOpen],
  ['zigbee2mqtt/bedside_button', `{"action":"hold","pad":"${'x'.repeat(MB)}"}`],
  // unknown devices
  ['zigbee2mqtt/ghost_door', '{"contact":false}'],
  ['zigbee2mqtt/ghost_door/availability', '{"state":"offline"}'],
  // availability topics
  ['zigbee2mqtt/front_door/availability', 'maybe'],
  ['zigbee2mqtt/front_door/availability', '{"state":"sleepy"}'],
  ['zigbee2mqtt/front_door/availability', '{"state":'],
  ['zigbee2mqtt/kitchen_window/availability', `{"state":"offline","pad":"${'x'.repeat(MB)}"}`],
  // generic topics
  ['home/garden/gate', '{"state":{"contact":"ajar"}}'],
  ['home/garden/gate', '{"state":{}}'],
  ['home/garden/gate', '{"state":{"contact":{"open":true}}}'],
  ['home/garden/gate', '{"state":'],
  ['home/garden/gate', `{"state":{"contact":"open"},"pad":"${'x'.repeat(MB)}"}`],
  ['home/garden/shed', 'maybe'],
  ['home/garden/shed', ''],
  ['home/garden/shed', `1${' '.repeat(MB)}`],
];

describe('mqtt-sensors plugin: bad input on every subscribed topic', () => {
  let h: AlarmHub | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  async function armedHub(logWindowMs: number): Promise<{ hub: AlarmHub; events: EventName[]; before: AlarmSnapshot }> {
    const hub = await startAlarmHub({ alarm: { entryDelaySeconds: 5 }, plugin: { logWindowMs, logBurst: 3 } });
    h = hub;
    await allClosed(hub);
    const gate = hub.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'back-gate');
    await hub.sim.publishRaw('home/garden/gate', JSON.stringify({ state: { contact: 'closed' } }));
    await gate;
    const shed = hub.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'shed-door');
    await hub.sim.publishRaw('home/garden/shed', '0');
    await shed;
    expect((await hub.owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_away' })).body.state).toBe('armed_away');
    const before = (await hub.owner.get<AlarmSnapshot>('/api/alarm')).body;
    const events: EventName[] = [];
    hub.t.hub.bus.onAny('test', (name) => {
      if (
        name.startsWith('sensor.') ||
        name.startsWith('alarm.') ||
        name.startsWith('siren.') ||
        name === 'button.pressed' ||
        name === 'panic'
      )
        events.push(name);
    });
    return { hub, events, before };
  }

  async function handledAtLeast(hub: AlarmHub, n: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (hub.plugin.handled < n) {
      if (Date.now() > deadline) throw new Error(`plugin handled ${hub.plugin.handled} of ${n} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('malformed JSON, wrong types, unknown devices and 1 MB payloads: refused, logged, nothing changes', async () => {
    const { hub, events, before } = await armedHub(60_000);
    const start = hub.plugin.handled;
    for (const [topic, payload] of BAD) await hub.sim.publishRaw(topic, payload);
    await handledAtLeast(hub, start + BAD.length);
    await new Promise((r) => setTimeout(r, 100));

    expect(events).toEqual([]);
    const after = (await hub.owner.get<AlarmSnapshot>('/api/alarm')).body;
    expect(after).toEqual(before);
    expect(after.state).toBe('armed_away');
    expect(hub.sim.sirenCommands).toEqual([]);
    expect(hub.plugin.refusedCounts()).toMatchObject({
      malformed_json: expect.any(Number),
      wrong_type: expect.any(Number),
      not_an_object: expect.any(Number),
      no_known_fields: 1,
      too_large: 5,
      bad_availability: 3,
      unknown_value: 3,
      missing_value: 1,
    });
    const warns = hub.t.logs.lines.filter((l) => l.plugin === 'mqtt-sensors' && l.level === 40);
    expect(warns.some((l) => l.problem === 'too_large' && l.bytes === hugeOpen.length)).toBe(true);
    expect(warns.some((l) => l.problem === 'wrong_type' && String(l.detail).includes('"contact" should be a boolean'))).toBe(true);
    expect(warns.some((l) => l.problem === 'unknown_value' && l.sensor === 'back-gate')).toBe(true);
    expect(
      hub.t.logs.find((l) => String(l.msg).includes('not a configured sensor') && String(l.device).includes('ghost_door')),
    ).toBeDefined();
    // No 1 MB payload was copied into the log.
    expect(Math.max(...hub.t.logs.raw.map((l) => l.length))).toBeLessThan(2000);
    expect(hub.t.logs.errors()).toEqual([]);

    // Still alive and still watching: a real door opening is acted on.
    const entry = hub.t.hub.bus.next('alarm.state_changed', (e) => e.to === 'entry_delay');
    await hub.sim.open('front_door');
    expect((await entry).from).toBe('armed_away');
  });

  it('10,000 bad messages in a burst across every topic: rate-limited log, no crash, no false alarm', async () => {
    const { hub, events, before } = await armedHub(60_000);
    const small = BAD.filter(([, p]) => p.length < 1000);
    const start = hub.plugin.handled;
    const total = 10_000;
    for (let i = 0; i < total; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, total - i) }, (_, j) => {
          const [topic, payload] = small[(i + j) % small.length] ?? ['zigbee2mqtt/front_door', 'x'];
          return hub.sim.publishRaw(topic, payload);
        }),
      );
    }
    await handledAtLeast(hub, start + total);

    expect(events).toEqual([]);
    expect((await hub.owner.get<AlarmSnapshot>('/api/alarm')).body).toEqual(before);
    expect(hub.sim.sirenCommands).toEqual([]);
    const refused = hub.plugin.refusedCounts();
    expect(Object.values(refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(9_000);
    const health = await hub.t.hub.health.snapshot();
    expect(health.components['plugin:mqtt-sensors']?.status).toBe('ok');

    // Stopping closes the log windows: each kind is logged a few times, then summarised once.
    await hub.close();
    h = null;
    const lines = hub.t.logs.lines.filter((l) => l.plugin === 'mqtt-sensors' && l.level >= 40);
    expect(lines.length).toBeLessThan(60);
    for (const [kind, count] of Object.entries(refused)) {
      const ofKind = lines.filter((l) => l.problem === kind);
      const one = ofKind.filter((l) => l.suppressed === undefined).length;
      const suppressed = ofKind.reduce((n, l) => n + (typeof l.suppressed === 'number' ? l.suppressed : 0), 0);
      expect(one, kind).toBeLessThanOrEqual(3);
      expect(one + suppressed, kind).toBe(count);
    }
  });
});
