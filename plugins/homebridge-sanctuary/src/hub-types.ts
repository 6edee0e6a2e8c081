/**
 * The parts of the hub's HTTP/WebSocket API this plugin reads, restated here (the plugin talks to
 * the hub over the network and never imports hub code), with checks that turn a body of the wrong
 * shape into a clear error instead of a crash deep inside an accessory.
 */
import { SanctuaryPluginError } from './errors.js';

export type HubAlarmState = 'disarmed' | 'arming' | 'armed_home' | 'armed_away' | 'entry_delay' | 'triggered';
export type HubArmMode = 'armed_home' | 'armed_away';
export type HubSensorKind = 'door' | 'window' | 'gate' | 'motion' | 'button' | 'other';

export interface HubSensorStatus {
  id: string;
  name: string;
  location: string;
  kind: HubSensorKind;
  /** null when the hub has not heard from it yet. */
  open: boolean | null;
  tamper: boolean;
  batteryLow: boolean;
  online: boolean;
}

export interface HubAlarm {
  state: HubAlarmState;
  mode: HubArmMode | null;
  sensors: HubSensorStatus[];
}

export interface HubCamera {
  id: string;
  name: string;
  kind: 'doorbell' | 'camera';
  enabled: boolean;
}

/** One message of the hub's `/api/ws` feed. */
export type HubFeedMessage = { type: 'hello'; role: string } | { type: 'event'; name: string; event: Record<string, unknown> };

const ALARM_STATES: readonly string[] = ['disarmed', 'arming', 'armed_home', 'armed_away', 'entry_delay', 'triggered'];
const SENSOR_KINDS: readonly string[] = ['door', 'window', 'gate', 'motion', 'button', 'other'];

function bad(what: string): never {
  throw new SanctuaryPluginError('SANCTUARY_HB_BAD_RESPONSE', `the hub sent ${what}: is the hub's version compatible with this plugin?`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseSensor(v: unknown, i: number): HubSensorStatus {
  if (!isObject(v) || typeof v.id !== 'string' || typeof v.name !== 'string') bad(`a sensor without id or name (sensors[${i}])`);
  const kind = typeof v.kind === 'string' && SENSOR_KINDS.includes(v.kind) ? (v.kind as HubSensorKind) : 'other';
  return {
    id: v.id,
    name: v.name,
    location: typeof v.location === 'string' ? v.location : '',
    kind,
    open: typeof v.open === 'boolean' ? v.open : null,
    tamper: v.tamper === true,
    batteryLow: v.batteryLow === true,
    online: v.online !== false,
  };
}

export function parseAlarm(body: unknown): HubAlarm {
  if (!isObject(body)) bad('an alarm status that is not an object');
  if (typeof body.state !== 'string' || !ALARM_STATES.includes(body.state)) bad(`an unknown alarm state (${String(body.state)})`);
  const mode = body.mode === 'armed_home' || body.mode === 'armed_away' ? body.mode : null;
  const sensors = Array.isArray(body.sensors) ? body.sensors.map(parseSensor) : [];
  return { state: body.state as HubAlarmState, mode, sensors };
}

export function parseCameras(body: unknown): HubCamera[] {
  if (!isObject(body) || !Array.isArray(body.cameras)) bad('a device list without "cameras"');
  return body.cameras.map((c, i) => {
    if (!isObject(c) || typeof c.id !== 'string' || typeof c.name !== 'string') bad(`a camera without id or name (cameras[${i}])`);
    return { id: c.id, name: c.name, kind: c.kind === 'camera' ? 'camera' : 'doorbell', enabled: c.enabled !== false };
  });
}

export function parseFeedMessage(text: string): HubFeedMessage {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    bad('a feed message that is not JSON');
  }
  if (!isObject(v)) bad('a feed message that is not an object');
  if (v.type === 'hello') return { type: 'hello', role: String(v.role) };
  if (v.type === 'event' && typeof v.name === 'string' && isObject(v.event)) return { type: 'event', name: v.name, event: v.event };
  bad(`a feed message of unknown type (${String(v.type)})`);
}
