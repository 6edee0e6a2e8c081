/**
 * The demo's simulated home, in parts. Each part may add devices to the demo config before the
 * hub starts and runs its simulator after. Capabilities add their part to `demoParts()`.
 */

import type { Logger } from '../api/plugin.js';
import type { Hub } from '../app.js';
import type { HubConfigInput } from '../config/schema.js';
import { AlarmScene } from './alarm-scene.js';
import { arcDemoPart } from './arc-demo-part.js';
import { doorbellDemoPart } from './doorbell-demo-part.js';
import { ZigbeeSim } from './zigbee-sensors.js';

export interface DemoContext {
  hub: Hub;
  mqttUrl: string;
  log: Logger;
  dataDir: string;
  /** Print a line for the person watching the demo. */
  say(text: string): void;
}

export interface DemoPart {
  name: string;
  configure?(config: HubConfigInput & { plugins: Record<string, unknown> }): Promise<void> | void;
  start(ctx: DemoContext): Promise<() => Promise<void>>;
}

export const DEMO_SIREN = 'hallway_siren';

export const zigbeeDemoPart: DemoPart = {
  name: 'zigbee sensors and siren',
  configure(config) {
    config.sensors = [
      ...(config.sensors ?? []),
      {
        id: 'front-door',
        name: 'Front door',
        location: 'Hallway',
        kind: 'door',
        entryRoute: true,
        smartwater: { marked: true, kitCode: 'SW-DEMO-40417' },
        source: { type: 'zigbee2mqtt', friendlyName: 'front_door' },
        checkInSeconds: 600,
      },
      {
        id: 'kitchen-window',
        name: 'Kitchen window',
        location: 'Kitchen',
        kind: 'window',
        entryRoute: false,
        smartwater: { marked: true, kitCode: 'SW-DEMO-40417' },
        source: { type: 'zigbee2mqtt', friendlyName: 'kitchen_window' },
        checkInSeconds: 600,
      },
      {
        id: 'bedside-button',
        name: 'Bedside button',
        location: 'Bedroom',
        kind: 'button',
        source: { type: 'zigbee2mqtt', friendlyName: 'bedside_button' },
        panicActions: ['hold'],
        checkInSeconds: 24 * 3600,
      },
    ];
    config.alarm = { ...(config.alarm ?? {}), exitDelaySeconds: 5, entryDelaySeconds: 8, siren: { zigbee2mqttDevice: DEMO_SIREN } };
  },
  async start(ctx) {
    const sim = new ZigbeeSim(ctx.mqttUrl, 'zigbee2mqtt', DEMO_SIREN);
    await sim.start();
    sim.onSiren((p) => ctx.say(`[siren] received ${JSON.stringify(p)}`));
    await sim.report('front_door');
    await sim.report('kitchen_window');
    await sim.press('bedside_button', 'single');
    // Sensors check in well inside their interval so none goes offline during a long demo.
    const heartbeat = setInterval(() => {
      sim.report('kitchen_window').then(undefined, (err: unknown) => ctx.log.warn({ err: String(err) }, 'demo sensor publish failed'));
    }, 120_000);
    const scene = new AlarmScene({ hub: ctx.hub, sim, say: ctx.say, log: ctx.log, everySeconds: 120, sirenSeconds: 10 });
    await scene.start();
    return async () => {
      clearInterval(heartbeat);
      await scene.stop();
      await sim.stop();
    };
  },
};

export function demoParts(): DemoPart[] {
  return [zigbeeDemoPart, arcDemoPart, doorbellDemoPart];
}
