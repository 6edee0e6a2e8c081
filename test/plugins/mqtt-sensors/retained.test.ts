/**
 * Zigbee2MQTT can publish with `retain: true`. After a reconnect the broker replays a button's
 * last message: its state counts, but the old press must not raise a new panic.
 */
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../../hub/mqtt/broker.js';
import { MqttSensorsPlugin } from '../../../plugins/mqtt-sensors/index.js';
import { ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/ports.js';
import { SENSORS } from '../../hub/alarm/alarm-fixture.js';

describe('mqtt-sensors: retained messages', () => {
  let t: TestHub | null = null;
  let broker: EmbeddedBroker | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
    await broker?.close();
    broker = null;
  });

  it('a retained button press replayed at subscribe time is not a press; a live one is', async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, username: null, password: null, log: new LogCapture().logger });
    const z2m = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await z2m.publishAsync('zigbee2mqtt/bedside_button', JSON.stringify({ action: 'hold', battery: 90, linkquality: 80 }), {
      qos: 1,
      retain: true,
    });

    t = await startTestHub({ config: { mqtt: { url: broker.url }, sensors: SENSORS }, plugins: [new MqttSensorsPlugin()] });
    const hub = t;
    // The replayed message is still read (the button is seen, with its battery)...
    await waitFor(
      async () => {
        const owner = await ownerClient(hub.url, hub.setupCode);
        const alarm = await owner.get<{ sensors: Array<{ id: string; battery: number | null }> }>('/api/alarm');
        return alarm.body.sensors.find((s) => s.id === 'panic-button')?.battery === 90;
      },
      'the replayed button message to be read',
      5000,
    );
    // ...but it raised no press and no panic.
    await t.hub.core.eventLog.flush();
    expect(await t.hub.core.eventLog.query({ names: ['button.pressed', 'panic'] })).toEqual([]);

    // ...while a press that happens now is one.
    const live = t.hub.bus.next('button.pressed', (e) => e.sensorId === 'panic-button');
    await z2m.publishAsync('zigbee2mqtt/bedside_button', JSON.stringify({ action: 'single', battery: 90, linkquality: 80 }), { qos: 1 });
    expect(await live).toMatchObject({ action: 'single' });
    await z2m.endAsync(true);
  });
});
