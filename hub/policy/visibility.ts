/**
 * Who sees and hears what: the one table. For each kind of fact the hub knows and each surface a
 * person or a machine can see it on, the table says `show`, `hide` or `consent` (only when the
 * victim consented to that kind of sharing with that destination). Routes, channels, the MQTT
 * publisher, the live feed and the UI ask this module; none of them filters on its own.
 *
 * The rows a reviewer cares most about: a silent panic and a duress disarm are hidden on every
 * surface someone holding the victim's phone or standing in the hall could see, and are kept in
 * the evidence export and the hash-chained audit log; the police channel carries them only with
 * consent. `hub/policy/README.md` is this table in words (a test keeps the two equal).
 */
import type { AlertKind, EventMap, EventName } from '../api/events.js';
import type { Role } from '../api/roles.js';

export const FACT_KINDS = [
  'sensor',
  'sensor_offline',
  'tamper',
  'person',
  'doorbell',
  'loud_panic',
  'silent_panic',
  'duress',
  'alarm_state',
  'alarm_triggered',
  'intrusion',
  'link_loss',
  'open_close',
  'camera_status',
  'clip',
  'police_request',
  'alert_status',
  'consent',
  'smartwater',
  'system',
] as const;
export type FactKind = (typeof FACT_KINDS)[number];

export const SURFACES = [
  /** The owner's app: every page, the live feed, timeline, alerts panel, audit listing. */
  'owner_app',
  /**
   * Notifications on the owner's devices (Web Push): they pass through the phone maker's push
   * service, so every row is `consent` (the owner switches the push flow on) or hidden.
   */
  'owner_notification',
  'installer_app',
  /** Police and advocate accounts: their own requests and shared logs, never a live event. */
  'visitor_app',
  /** Incident logs the owner builds for an advocate (from events or a time window). */
  'advocate_log',
  /** Evidence packages and the hash-chained audit log itself: everything, silent facts included. */
  'evidence_export',
  /** API tokens (Homebridge, home automations) reading the feed, events or state. */
  'integration',
  /** MQTT topics on a broker on this machine (home automations in the home). */
  'mqtt_local',
  /** Any MQTT topic on a broker on another machine. */
  'mqtt_remote',
  /** A police channel: an alarm receiving centre, a police webhook. */
  'police_channel',
  /** Any other outbound channel: webhooks, alert topics. */
  'other_channel',
  /** What the siren and keypad make audible in the hall. */
  'siren',
] as const;
export type Surface = (typeof SURFACES)[number];

export type Rule = 'show' | 'hide' | 'consent';

const S: Rule = 'show';
const H: Rule = 'hide';
const C: Rule = 'consent';

type Row = Record<Surface, Rule>;
function row(cells: Rule[]): Row {
  const r = {} as Row;
  SURFACES.forEach((s, i) => {
    r[s] = cells[i] ?? H;
  });
  return r;
}

/**
 * Columns, in order: owner_app, owner_notification, installer_app, visitor_app, advocate_log,
 * evidence_export, integration, mqtt_local, mqtt_remote, police_channel, other_channel, siren.
 */
export const POLICY: Readonly<Record<FactKind, Row>> = Object.freeze({
  //                 owner notif inst police advoc export integ mqttL mqttR polCh othCh siren
  sensor: row([S, C, S, H, S, S, S, S, C, H, H, H]),
  sensor_offline: row([S, C, S, H, S, S, S, S, C, H, H, H]),
  tamper: row([S, C, S, H, S, S, S, S, C, C, C, H]),
  person: row([S, C, H, H, S, S, S, S, C, H, H, H]),
  doorbell: row([S, C, H, H, S, S, S, S, C, H, H, H]),
  loud_panic: row([S, C, H, H, S, S, H, S, C, C, C, S]),
  silent_panic: row([H, H, H, H, H, S, H, H, H, C, H, H]),
  duress: row([H, H, H, H, H, S, H, H, H, C, H, H]),
  alarm_state: row([S, H, S, H, S, S, S, S, C, H, H, H]),
  alarm_triggered: row([S, C, S, H, S, S, S, S, C, H, H, S]),
  intrusion: row([S, C, H, H, S, S, H, S, C, C, C, H]),
  link_loss: row([S, C, S, H, S, S, H, S, C, C, C, H]),
  // Opening/closing reports (arm = CL, disarm = OP) for an ARC whose contract asks for them. The
  // report of a duress disarm is the report of the disarm everyone saw: it is not silent.
  open_close: row([S, H, H, H, H, S, H, H, H, C, H, H]),
  camera_status: row([S, C, S, H, S, S, S, S, C, H, H, H]),
  clip: row([S, H, H, H, S, S, H, H, H, H, H, H]),
  police_request: row([S, C, H, H, H, S, H, H, H, H, H, H]),
  alert_status: row([S, H, H, H, H, S, H, H, H, H, H, H]),
  consent: row([S, H, H, H, H, S, H, H, H, H, H, H]),
  smartwater: row([S, H, H, H, S, S, H, H, H, H, H, H]),
  system: row([S, H, S, H, H, S, H, H, H, H, H, H]),
});

/** A fact as the policy sees it: its kind, and whether it is silent (or part of a silent fact). */
export interface Fact {
  kind: FactKind;
  silent: boolean;
}

const SILENT_KINDS: ReadonlySet<FactKind> = new Set(['silent_panic', 'duress']);

/** The fact an alert of this kind is (a panic is silent unless the victim chose a loud panic). */
export function alertFact(kind: AlertKind, silent: boolean): FactKind {
  if (kind === 'panic') return silent ? 'silent_panic' : 'loud_panic';
  if (kind === 'duress') return 'duress';
  return kind;
}

/**
 * The fact behind a bus event. `silentCorrelation` says whether the event belongs to a silent
 * fact raised earlier (a clip recorded because of a silent panic, say); it is consulted only for
 * events that do not say so themselves. Events the policy does not name are `system`.
 */
export function classify(name: EventName, payload: unknown, silentCorrelation: (id: string) => boolean): Fact {
  const p = (payload ?? {}) as Record<string, unknown>;
  const kind = factKindOf(name, p);
  const silent =
    SILENT_KINDS.has(kind) || (typeof p.correlationId === 'string' && p.correlationId !== '' && silentCorrelation(p.correlationId));
  return { kind, silent };
}

function factKindOf(name: EventName, p: Record<string, unknown>): FactKind {
  switch (name) {
    case 'sensor.opened':
    case 'sensor.closed':
    case 'sensor.seen':
    case 'sensor.online':
    case 'sensor.battery_low':
      return 'sensor';
    case 'sensor.offline':
      return 'sensor_offline';
    case 'sensor.tamper':
    case 'camera.tamper':
      return 'tamper';
    case 'person.detected':
    case 'person.snapshot':
    case 'person.updated':
    case 'person.left':
    case 'motion.started':
    case 'motion.stopped':
    case 'camera.motion':
      return 'person';
    case 'camera.doorbell':
      return 'doorbell';
    case 'button.pressed':
      // A panic button's press is the panic itself: silent unless the alarm makes it loud (then
      // `panic` with loud=true and the triggered alarm say so).
      return p.panic === true ? 'silent_panic' : 'doorbell';
    case 'panic':
      return p.loud === true ? 'loud_panic' : 'silent_panic';
    case 'duress':
      return 'duress';
    case 'alarm.state_changed':
    case 'alarm.pin_rejected':
    case 'siren.changed':
      return 'alarm_state';
    case 'alarm.triggered':
      return 'alarm_triggered';
    case 'intrusion.confirmed':
      return 'intrusion';
    case 'camera.online':
    case 'camera.offline':
    case 'camera.clock':
      return 'camera_status';
    case 'clip.saved':
      return 'clip';
    case 'request.created':
    case 'request.decided':
    case 'export.progress':
      return 'police_request';
    case 'alert.raised':
    case 'alert.status_changed':
      if (p.kind === 'duress') return 'duress';
      return p.silent === true ? 'silent_panic' : 'alert_status';
    case 'consent.changed':
      return 'consent';
    case 'smartwater.used':
    case 'evidence.marked':
      return 'smartwater';
    default:
      return 'system';
  }
}

/** The rule for a fact on a surface. Silent facts are hidden wherever their row says so. */
export function ruleFor(surface: Surface, fact: Fact): Rule {
  const kind = fact.silent && !SILENT_KINDS.has(fact.kind) ? 'silent_panic' : fact.kind;
  return POLICY[kind][surface];
}

/** The app surface a signed-in session sees. API tokens are integrations, whatever their owner's role. */
export function surfaceForSession(role: Role, isToken: boolean): Surface {
  if (isToken) return 'integration';
  switch (role) {
    case 'owner':
      return 'owner_app';
    case 'installer':
      return 'installer_app';
    case 'police':
    case 'advocate':
      // An advocate reads the incident logs the owner shares (advocate_log is what goes into
      // them); her own feed and pages show no live event.
      return 'visitor_app';
  }
}

/** Events that are plumbing between modules and never shown to anyone as such. */
export const INTERNAL_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['segment.written', 'storage.pressure']);

export type EventOf<K extends EventName> = EventMap[K];

const CELL: Record<Rule, string> = { show: 'show', hide: '—', consent: 'consent' };

/** The table as Markdown, for `hub/policy/README.md` (a test keeps the README equal to this). */
export function policyTableMarkdown(): string {
  const head = `| fact | ${SURFACES.join(' | ')} |`;
  const line = `|---|${SURFACES.map(() => '---').join('|')}|`;
  const rows = FACT_KINDS.map((f) => `| ${f} | ${SURFACES.map((s) => CELL[POLICY[f][s]]).join(' | ')} |`);
  return [head, line, ...rows].join('\n');
}
