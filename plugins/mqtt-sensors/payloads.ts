/**
 * Turning MQTT payloads into readings. Nothing here trusts its input: a payload that is not what a
 * sensor sends (bad JSON, a field of the wrong type, an unknown value) is refused as a whole, with
 * the reason, so a half-understood message can never move a sensor's state.
 */

export interface Reading {
  /** true = open (a door or window), or active (a motion sensor's occupancy). */
  open?: boolean;
  tamper?: boolean;
  battery?: number;
  batteryLow?: boolean;
  linkquality?: number;
  /** A button's action (`single`, `double`, `hold`, ...). */
  action?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: ProblemKind; detail: string };

export type ProblemKind =
  | 'too_large'
  | 'malformed_json'
  | 'not_an_object'
  | 'wrong_type'
  | 'no_known_fields'
  | 'unknown_value'
  | 'missing_value'
  | 'bad_availability';

const fail = (problem: ProblemKind, detail: string): { ok: false; problem: ProblemKind; detail: string } => ({
  ok: false,
  problem,
  detail,
});

function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return fail('malformed_json', `not JSON: ${(err as Error).message.slice(0, 80)}`);
  }
}

/** Fields Zigbee2MQTT sends for contact sensors, motion sensors and buttons, with their types. */
const Z2M_FIELDS = {
  contact: 'boolean',
  occupancy: 'boolean',
  tamper: 'boolean',
  battery: 'number',
  battery_low: 'boolean',
  linkquality: 'number',
  voltage: 'number',
  action: 'string',
} as const;

/** A Zigbee2MQTT device message (`<base>/<friendly_name>`). `contact: true` means CLOSED. */
export function parseZigbee2Mqtt(text: string): Parsed<Reading> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const msg = json.value;
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg))
    return fail('not_an_object', `expected a JSON object, got ${describe(msg)}`);
  const obj = msg as Record<string, unknown>;
  let known = 0;
  for (const [field, type] of Object.entries(Z2M_FIELDS)) {
    const v = obj[field];
    // Zigbee2MQTT sends null for a value it does not know yet: that says nothing.
    if (v === undefined || v === null) continue;
    if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) {
      return fail('wrong_type', `"${field}" should be a ${type}, got ${describe(v)}`);
    }
    known++;
  }
  if (known === 0) return fail('no_known_fields', `none of ${Object.keys(Z2M_FIELDS).join(', ')} present`);
  const r: Reading = {};
  if (typeof obj.contact === 'boolean') r.open = !obj.contact;
  else if (typeof obj.occupancy === 'boolean') r.open = obj.occupancy;
  if (typeof obj.tamper === 'boolean') r.tamper = obj.tamper;
  if (typeof obj.battery === 'number') {
    if (obj.battery < 0 || obj.battery > 100) return fail('wrong_type', `"battery" should be 0-100, got ${obj.battery}`);
    r.battery = obj.battery;
  }
  if (typeof obj.battery_low === 'boolean') r.batteryLow = obj.battery_low;
  if (typeof obj.linkquality === 'number') r.linkquality = obj.linkquality;
  // Legacy Zigbee2MQTT follows each press with an empty action: that is not a press.
  if (typeof obj.action === 'string' && obj.action.trim() !== '') r.action = obj.action.trim().slice(0, 64);
  return { ok: true, value: r };
}

/** `<base>/<name>/availability`: `{"state":"online"}` (Zigbee2MQTT 1.x+) or the legacy plain `online`. */
export function parseAvailability(text: string): Parsed<boolean> {
  const plain = text.trim().toLowerCase();
  if (plain === 'online' || plain === 'offline') return { ok: true, value: plain === 'online' };
  const json = parseJson(text);
  if (!json.ok) return fail('bad_availability', `expected {"state":"online"|"offline"} or online/offline, got ${preview(text)}`);
  const state = (json.value as { state?: unknown } | null)?.state;
  if (state === 'online' || state === 'offline') return { ok: true, value: state === 'online' };
  return fail('bad_availability', `expected {"state":"online"|"offline"}, got ${preview(text)}`);
}

export interface GenericMapping {
  jsonPath: string | null;
  openValues: string[];
  closedValues: string[];
}

/** A generic sensor topic: the raw payload, or a dotted path into JSON, mapped through open/closed values. */
export function parseGeneric(text: string, m: GenericMapping): Parsed<Reading> {
  let value: unknown = text.trim();
  if (m.jsonPath !== null) {
    const json = parseJson(text);
    if (!json.ok) return json;
    value = json.value;
    for (const key of m.jsonPath.split('.')) {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) {
        return fail('missing_value', `no value at "${m.jsonPath}"`);
      }
      value = (value as Record<string, unknown>)[key];
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return fail('wrong_type', `"${m.jsonPath}" should be a string, number or boolean, got ${describe(value)}`);
    }
  }
  const s = String(value).toLowerCase();
  if (m.openValues.some((v) => v.toLowerCase() === s)) return { ok: true, value: { open: true } };
  if (m.closedValues.some((v) => v.toLowerCase() === s)) return { ok: true, value: { open: false } };
  return fail(
    'unknown_value',
    `${preview(String(value))} is neither an open value (${m.openValues.join(', ')}) nor a closed one (${m.closedValues.join(', ')})`,
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${preview(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v).slice(0, 20)}`;
}

/** A short, printable excerpt of untrusted text for a log line. */
export function preview(text: string, max = 40): string {
  // Control characters could forge log lines or confuse a terminal.
  const clean = text.slice(0, max).replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(text.length > max ? `${clean}...` : clean);
}
