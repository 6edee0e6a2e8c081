import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmSnapshot } from '../../../hub/alarm/module.js';
import type { EventMap } from '../../../hub/api/events.js';
import { type AlarmHub, allClosed, startAlarmHub } from './alarm-fixture.js';

describe('siren over MQTT', () => {
  let h: AlarmHub | null = null;
  let client: mqtt.MqttClient | null = null;
  afterEach(async () => {
    await client?.endAsync(true);
    client = null;
    await h?.close();
    h = null;
  });

  it('a Zigbee2MQTT warning device is sounded, then stopped after sirenMaxSeconds; the alarm stays triggered', async () => {
    h = await startAlarmHub({ alarm: { sirenMaxSeconds: 1 } });
    await allClosed(h);
    const changes: Array<EventMap['siren.changed']> = [];
    h.t.hub.bus.on('siren.changed', 'test', (e) => {
      changes.push(e);
    });
    await h.owner.post('/api/alarm/arm', { mode: 'armed_home' });
    const on = h.sim.nextSiren();
    const stop = h.sim.nextSiren((p) => (p as { warning?: { mode?: string } }).warning?.mode === 'stop', 5_000);
    await h.sim.open('kitchen_window');
    expect(await on).toEqual({ warning: { mode: 'burglar', level: 'very_high', strobe: true, duration: 1 } });
    await stop;
    const [first, second] = h.sim.sirenCommands;
    expect((second?.ts ?? 0) - (first?.ts ?? 0)).toBeGreaterThanOrEqual(900);
    expect(changes.map((c) => [c.on, c.reason])).toEqual([
      [true, 'Kitchen window opened'],
      [false, 'maximum duration reached'],
    ]);
    expect((await h.owner.get<AlarmSnapshot>('/api/alarm')).body).toMatchObject({ state: 'triggered', sirenOn: false });
  });

  it('a plain topic siren gets the configured on and off payloads', async () => {
    h = await startAlarmHub({
      alarm: {
        sirenMaxSeconds: 1,
        siren: { zigbee2mqttDevice: null, topic: 'home/hall/siren/set', onPayload: 'SOUND', offPayload: 'QUIET' },
      },
    });
    await allClosed(h);
    client = await mqtt.connectAsync(h.t.mqttUrl);
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      client?.on('message', (_t, p) => {
        got.push(p.toString());
        if (got.length === 2) resolve();
      });
    });
    await client.subscribeAsync('home/hall/siren/set', { qos: 1 });
    await h.owner.post('/api/alarm/arm', { mode: 'armed_away' });
    await h.sim.open('kitchen_window');
    await done;
    expect(got).toEqual(['SOUND', 'QUIET']);
    expect(h.sim.sirenCommands).toEqual([]);
  });
});
