/**
 * MQTT without gaps, against a real mosquitto (persistence on, as a home broker runs): a door
 * that opens and closes while mosquitto restarts reaches the hub as both changes, in order; a
 * hub started while mosquitto is down starts anyway, says so in health, and catches up on the
 * changes its persistent session queued once the broker is back.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubConfigInput } from '../../../hub/config/schema.js';
import { MqttSensorsPlugin } from '../../../plugins/mqtt-sensors/index.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { startMosquitto, stopMosquitto } from '../../helpers/mosquitto.js';
import { freePort, waitFor } from '../../helpers/ports.js';

const SHED: NonNullable<HubConfigInput['sensors']> = [
  {
    id: 'shed-door',
    name: 'Shed door',
    location: 'Garden',
    kind: 'door',
    source: { type: 'generic', topic: 'home/garden/shed', jsonPath: null, openValues: ['1'], closedValues: ['0'] },
    checkInSeconds: 600,
  },
];

describe('MQTT without gaps', () => {
  let t: TestHub | null = null;
  let broker: ChildProcess | null = null;
  let sensor: mqtt.MqttClient | null = null;
  const dirs: string[] = [];
  afterEach(async () => {
    await sensor?.endAsync(true);
    sensor = null;
    await t?.close();
    t = null;
    if (broker) await stopMosquitto(broker);
    broker = null;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function hub(port: number, dataDir: string): Promise<{ t: TestHub; changes: string[] }> {
    const changes: string[] = [];
    const started = await startTestHub({
      dataDir,
      config: { mqtt: { url: `mqtt://127.0.0.1:${port}` }, sensors: SHED, plugins: { 'mqtt-sensors': { offlineCheckMs: 50 } } },
      plugins: [new MqttSensorsPlugin()],
    });
    started.hub.bus.on('sensor.opened', 'test', () => {
      changes.push('opened');
    });
    started.hub.bus.on('sensor.closed', 'test', () => {
      changes.push('closed');
    });
    t = started;
    return { t: started, changes };
  }

  /** The door sensor's gateway (Zigbee2MQTT): QoS 1, quick to reconnect, queues while offline. */
  function gateway(port: number): mqtt.MqttClient {
    sensor = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'z2m-gateway', reconnectPeriod: 100, clean: true });
    return sensor;
  }

  it('a door opening and closing while mosquitto restarts reaches the hub, both changes in order', { timeout: 60_000 }, async () => {
    const dir = await tempDir('sanctuary-mosq-');
    const dataDir = await tempDir('sanctuary-hub-');
    dirs.push(dir, dataDir);
    const port = await freePort();
    broker = await startMosquitto(port, dir, { persistence: true });
    const { t: h, changes } = await hub(port, dataDir);
    const gw = gateway(port);
    await waitFor(() => gw.connected, 'gateway connected');
    await gw.publishAsync('home/garden/shed', '0', { qos: 1 });
    await waitFor(() => changes.length === 0 && h.hub.core.mqtt.connected, 'hub connected');

    await stopMosquitto(broker);
    broker = null;
    await waitFor(() => !h.hub.core.mqtt.connected && !gw.connected, 'both clients see the broker gone');
    // The door opens and closes while the broker is down: the gateway queues both.
    gw.publish('home/garden/shed', '1', { qos: 1 });
    gw.publish('home/garden/shed', '0', { qos: 1 });
    broker = await startMosquitto(port, dir, { persistence: true });
    await waitFor(() => changes.length >= 2, 'both changes at the hub', 30_000);
    expect(changes).toEqual(['opened', 'closed']);
    expect(h.hub.health.get('broker')?.status).toBe('ok');
  });

  it('a hub started while mosquitto is down starts, reports it, and catches up from its session', { timeout: 60_000 }, async () => {
    const dir = await tempDir('sanctuary-mosq-');
    const dataDir = await tempDir('sanctuary-hub-');
    dirs.push(dir, dataDir);
    const port = await freePort();
    // A first run makes the hub's persistent session on the broker.
    broker = await startMosquitto(port, dir, { persistence: true });
    await hub(port, dataDir);
    await t?.close();
    t = null;
    await stopMosquitto(broker);
    broker = null;

    const { t: h, changes } = await hub(port, dataDir);
    const health = h.hub.health.get('broker');
    expect(health?.status).toBe('failed');
    expect(health?.message).toMatch(/cannot reach MQTT broker .* retrying/);

    broker = await startMosquitto(port, dir, { persistence: true });
    // The door opens and closes as soon as the broker is back, before the hub's next retry.
    const gw = gateway(port);
    await waitFor(() => gw.connected, 'gateway connected');
    await gw.publishAsync('home/garden/shed', '1', { qos: 1 });
    await gw.publishAsync('home/garden/shed', '0', { qos: 1 });
    await waitFor(() => h.hub.health.get('broker')?.status === 'ok', 'hub connected', 40_000);
    await waitFor(() => changes.length >= 2, 'both changes at the hub', 10_000);
    expect(changes).toEqual(['opened', 'closed']);
  });
});
