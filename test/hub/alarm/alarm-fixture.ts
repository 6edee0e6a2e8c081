/**
 * A real hub with the alarm module and the MQTT sensors plugin, a simulated Zigbee2MQTT network
 * (contact sensors, a motion sensor, a panic button, a siren) on its embedded broker, and a
 * signed-in owner with a PIN and a duress PIN.
 */

import { AlarmModule } from '../../../hub/alarm/module.js';
import type { Clock } from '../../../hub/api/plugin.js';
import { auditModule } from '../../../hub/audit/audit-module.js';
import type { HubConfigInput } from '../../../hub/config/schema.js';
import { ZigbeeSim } from '../../../hub/sim/zigbee-sensors.js';
import { MqttSensorsPlugin } from '../../../plugins/mqtt-sensors/index.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

export const SIREN = 'hallway_siren';
export const OWNER_PIN = '2468';
export const DURESS_PIN = '1357';

export const SENSORS: NonNullable<HubConfigInput['sensors']> = [
  {
    id: 'front-door',
    name: 'Front door',
    location: 'Hallway',
    kind: 'door',
    entryRoute: true,
    smartwater: { marked: true, kitCode: 'SW-TEST-0001' },
    source: { type: 'zigbee2mqtt', friendlyName: 'front_door' },
    checkInSeconds: 600,
  },
  {
    id: 'kitchen-window',
    name: 'Kitchen window',
    location: 'Kitchen',
    kind: 'window',
    smartwater: { marked: true, kitCode: 'SW-TEST-0001' },
    source: { type: 'zigbee2mqtt', friendlyName: 'kitchen_window' },
    checkInSeconds: 600,
  },
  {
    id: 'hall-motion',
    name: 'Hall motion',
    location: 'Hallway',
    kind: 'motion',
    source: { type: 'zigbee2mqtt', friendlyName: 'hall_motion' },
    checkInSeconds: 600,
  },
  {
    id: 'panic-button',
    name: 'Bedside button',
    location: 'Bedroom',
    kind: 'button',
    source: { type: 'zigbee2mqtt', friendlyName: 'bedside_button' },
    panicActions: ['hold', 'double'],
    checkInSeconds: 600,
  },
  {
    id: 'back-gate',
    name: 'Back gate',
    location: 'Garden',
    kind: 'gate',
    source: { type: 'generic', topic: 'home/garden/gate', jsonPath: 'state.contact', openValues: ['open'], closedValues: ['closed'] },
    checkInSeconds: 600,
  },
  {
    id: 'shed-door',
    name: 'Shed door',
    location: 'Garden',
    kind: 'door',
    source: { type: 'generic', topic: 'home/garden/shed', jsonPath: null, openValues: ['1'], closedValues: ['0'] },
    checkInSeconds: 600,
  },
];

export interface AlarmHub {
  t: TestHub;
  sim: ZigbeeSim;
  owner: ApiClient;
  plugin: MqttSensorsPlugin;
  alarm: AlarmModule;
  close(): Promise<void>;
}

export interface AlarmHubOptions {
  alarm?: HubConfigInput['alarm'];
  dataDir?: string;
  keepDataDir?: boolean;
  clock?: Clock;
  plugin?: Record<string, unknown>;
  /** Reuse an owner made by an earlier hub on the same data dir. */
  existingOwner?: boolean;
  /** Leave the owner without alarm PINs. */
  noPins?: boolean;
}

export async function startAlarmHub(opts: AlarmHubOptions = {}): Promise<AlarmHub> {
  const plugin = new MqttSensorsPlugin();
  const alarm = new AlarmModule();
  const t = await startTestHub({
    config: {
      sensors: SENSORS,
      alarm: {
        exitDelaySeconds: 0,
        entryDelaySeconds: 0.4,
        sirenMaxSeconds: 30,
        pinAttempts: 3,
        ...(opts.alarm ?? {}),
        siren: { zigbee2mqttDevice: SIREN, ...(opts.alarm?.siren ?? {}) },
      },
      plugins: { 'mqtt-sensors': { offlineCheckMs: 50, logWindowMs: 60_000, ...(opts.plugin ?? {}) } },
    },
    plugins: [plugin],
    // The audit module serves /api/audit (the duress listing check reads it).
    modules: [auditModule(), alarm],
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.keepDataDir ? { keepDataDir: true } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const sim = new ZigbeeSim(t.mqttUrl, 'zigbee2mqtt', SIREN);
  let owner: ApiClient;
  try {
    await sim.start();
    if (opts.existingOwner) {
      owner = new ApiClient(t.url);
      const r = await owner.login(OWNER.username, OWNER.password);
      if (r.status !== 200) throw new Error(`login failed: ${r.status}`);
    } else if (opts.noPins) {
      owner = await ownerClient(t.url, t.setupCode);
    } else {
      owner = await ownerClient(t.url, t.setupCode);
      const r = await owner.put('/api/alarm/pins', { pin: OWNER_PIN, duressPin: DURESS_PIN });
      if (r.status !== 204) throw new Error(`setting PINs failed: ${r.status} ${JSON.stringify(r.body)}`);
    }
  } catch (err) {
    await sim.stop();
    await t.close();
    throw err;
  }
  return {
    t,
    sim,
    owner,
    plugin,
    alarm,
    async close() {
      await sim.stop();
      await t.close();
    },
  };
}

/** Report every contact sensor closed and wait until the hub has seen each one. */
export async function allClosed(h: AlarmHub): Promise<void> {
  for (const name of ['front_door', 'kitchen_window']) {
    const seen = h.t.hub.bus.next('sensor.seen', (e) => e.sensorId === (name === 'front_door' ? 'front-door' : 'kitchen-window'));
    await h.sim.close(name);
    await seen;
  }
  const motion = h.t.hub.bus.next('sensor.seen', (e) => e.sensorId === 'hall-motion');
  await h.sim.publishRaw('zigbee2mqtt/hall_motion', JSON.stringify({ occupancy: false, battery: 80, linkquality: 90 }));
  await motion;
}
