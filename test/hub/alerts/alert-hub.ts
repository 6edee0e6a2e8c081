/**
 * Shared set-up for the police alert tests: a real hub (all core modules, SQLite in a temp dir,
 * embedded broker, HTTP) with the sia-dc09 plugin pointed at the test suite's own DC-09 receiver,
 * short delays so the tests run in seconds, and helpers to sign in and set consent.
 */
import { rm } from 'node:fs/promises';
import { alertView } from '../../../hub/alerts/alert-view.js';
import type { AlertsModule } from '../../../hub/alerts/alerts-module.js';
import type { EventMap, SensorRef } from '../../../hub/api/events.js';
import type { HubPlugin } from '../../../hub/api/plugin.js';
import type { HubConfigInput } from '../../../hub/config/schema.js';
import { MqttAlertsPlugin } from '../../../plugins/mqtt-alerts/index.js';
import { SiaDc09Plugin } from '../../../plugins/sia-dc09/plugin.js';
import { type ApiClient, ownerClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { startTestHub, type TestHub, type TestHubOptions, tempDir } from '../../helpers/hub.js';

export const ACCOUNT = '1234AB';

export interface AlertHubOptions {
  receiver: Dc09TestReceiver;
  dataDir?: string;
  sia?: Record<string, unknown>;
  alerts?: Record<string, unknown>;
  alarm?: Record<string, unknown>;
  extraPlugins?: HubPlugin<unknown>[];
  /** Plugins that start before the ARC channel registers. */
  earlyPlugins?: HubPlugin<unknown>[];
  pluginConfig?: Record<string, unknown>;
  keepDataDir?: boolean;
  clock?: TestHubOptions['clock'];
}

interface TestSensor {
  id: string;
  name: string;
  location: string;
  kind: 'door' | 'window';
  entryRoute: boolean;
  source: { type: 'zigbee2mqtt'; friendlyName: string };
  /** Cameras watching its entry point (video confirmation). */
  cameras?: string[];
}

export const FRONT_DOOR: TestSensor = {
  id: 'front-door',
  name: 'Front door',
  location: 'Hallway',
  kind: 'door',
  entryRoute: false,
  source: { type: 'zigbee2mqtt', friendlyName: 'front_door' },
  cameras: ['doorbell'],
};

/**
 * The doorbell that watches the front door, with the porch as its required zone. Disabled: no
 * stream is pulled; the tests emit its person events themselves.
 */
export const DOORBELL_CAMERA = {
  id: 'doorbell',
  name: 'Doorbell',
  kind: 'doorbell' as const,
  source: { type: 'rtsp' as const, mainUrl: 'rtsp://127.0.0.1:1/doorbell' },
  detect: {
    zones: [
      {
        name: 'porch',
        points: [
          [0, 0.5],
          [1, 0.5],
          [1, 1],
          [0, 1],
        ] as Array<[number, number]>,
      },
      {
        name: 'pavement',
        points: [
          [0, 0],
          [1, 0],
          [1, 0.5],
          [0, 0.5],
        ] as Array<[number, number]>,
      },
    ],
    requiredZones: ['porch'],
  },
  enabled: false,
};

export const BACK_WINDOW: TestSensor = {
  id: 'back-window',
  name: 'Back window',
  location: 'Kitchen',
  kind: 'window',
  entryRoute: false,
  source: { type: 'zigbee2mqtt', friendlyName: 'back_window' },
};

export function startAlertHub(o: AlertHubOptions): Promise<TestHub> {
  const config: Partial<HubConfigInput> = {
    home: { name: 'Test home', address: '1 Example Street, Exampletown', coordinates: '51.5007,-0.1246' },
    alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0, ...o.alarm },
    alerts: {
      askTimeoutSeconds: 2,
      retryInitialMs: 100,
      retryMaxSeconds: 1,
      videoConfirmationSeconds: 2,
      attemptTimeoutSeconds: 3,
      ...o.alerts,
    },
    sensors: [FRONT_DOOR, BACK_WINDOW],
    cameras: [DOORBELL_CAMERA],
    plugins: {
      'sia-dc09': {
        enabled: true,
        host: '127.0.0.1',
        port: o.receiver.port,
        account: ACCOUNT,
        receiver: '12',
        line: '3',
        ackTimeoutMs: 400,
        linkTestSeconds: 0,
        ...o.sia,
      },
      ...o.pluginConfig,
    },
  };
  return startTestHub({
    config,
    plugins: [...(o.earlyPlugins ?? []), new SiaDc09Plugin(), ...(o.extraPlugins ?? [])],
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    ...(o.keepDataDir ? { keepDataDir: true } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
  });
}

/**
 * Change consent. Police kinds apply only to a police channel the owner switched on, so unless the
 * change names channels, the ARC channel is switched on with it (what the owner's page does).
 */
export async function setConsent(owner: ApiClient, change: Record<string, unknown>): Promise<void> {
  const r = await owner.put('/api/consent', { channels: { arc: { on: true } }, ...change });
  if (r.status !== 200) throw new Error(`consent change failed: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function signIn(t: TestHub): Promise<ApiClient> {
  return ownerClient(t.url, t.setupCode);
}

export function sensorRef(s: TestSensor): SensorRef {
  return {
    sensorId: s.id,
    name: s.name,
    location: s.location,
    kind: s.kind,
    entryRoute: s.entryRoute,
    perimeter: true,
    smartwaterKitCode: null,
  };
}

/** What the mqtt-sensors plugin emits when a Zigbee contact sensor opens. */
export function opened(t: TestHub, s: TestSensor): EventMap['sensor.opened'] {
  return t.hub.bus.emit('sensor.opened', { source: 'mqtt-sensors', ...sensorRef(s) });
}

export function personAtDoor(t: TestHub): EventMap['person.detected'] {
  return t.hub.bus.emit('person.detected', {
    source: 'detector',
    cameraId: 'doorbell',
    trackId: 'track-1',
    score: 0.91,
    box: { x1: 0.3, y1: 0.2, x2: 0.6, y2: 0.9 },
    zones: ['porch'],
    snapshot: null,
  });
}

export interface AlertListItem {
  id: string;
  kind: string;
  phase: string;
  status: string;
  summary: string;
  silent: boolean;
  consent: { mode: string; version: number };
  attached: { location: boolean; coordinates: boolean; snapshot: boolean; clipLink: boolean; notes: string[] };
  deliveries: Array<{ channel: string; police: boolean; status: string; attempts: number; acknowledgedAt: number | null; detail: string }>;
}

export async function alerts(owner: ApiClient): Promise<AlertListItem[]> {
  const r = await owner.get<{ alerts: AlertListItem[] }>('/api/alerts');
  if (r.status !== 200) throw new Error(`GET /api/alerts: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.alerts;
}

/**
 * Every stored alert, silent ones included (a covert panic is silent by default), in the shape the
 * owner's list uses, read from the outbox as the evidence export would.
 */
export async function allAlerts(t: TestHub | null): Promise<AlertListItem[]> {
  const outbox = t?.hub.core.module<AlertsModule>('alerts')?.outbox;
  if (!outbox) throw new Error('alerts module not running');
  const rows = await outbox.store.list({ includeSilent: true, limit: 100 });
  const out: AlertListItem[] = [];
  for (const r of rows) out.push(alertView(r, await outbox.store.deliveries(r.id)) as unknown as AlertListItem);
  return out;
}
export const storedAlerts = allAlerts;

/**
 * A home whose data folder outlives one hub run: a started ARC receiver, a temp data folder, and
 * a first run in which the owner set panics to go to the ARC automatically (then closed). What
 * it opened is pushed onto `cleanup`, to be undone in reverse.
 */
export async function panicConsentedHome(cleanup: Array<() => Promise<void>>): Promise<{ arc: Dc09TestReceiver; dataDir: string }> {
  const arc = new Dc09TestReceiver();
  await arc.start();
  cleanup.push(() => arc.stop());
  const dataDir = await tempDir();
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const t = await startAlertHub({ receiver: arc, dataDir });
  await setConsent(await signIn(t), { kinds: { panic: 'automatic' } });
  await t.close();
  return { arc, dataDir };
}

export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { MqttAlertsPlugin };
