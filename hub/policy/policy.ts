/**
 * The visibility policy as a service: the table in `visibility.ts` plus what it needs to know at
 * run time, which is which correlation ids belong to a silent fact. A clip recorded because of a
 * silent panic, the alert it raised and every delivery step carry the panic's correlation id; the
 * policy remembers those ids (in SQLite, so a restart does not turn a hidden clip visible) and
 * hides everything that carries one wherever the silent row says hide.
 */
import { describeError } from '../api/errors.js';
import type { AlertKind, EventBus, EventName } from '../api/events.js';
import type { Logger } from '../api/plugin.js';
import type { Role } from '../api/roles.js';
import type { AuditEntry } from '../audit/audit-log.js';
import { type ConsentSettings, DEFAULT_CONSENT, type Share } from '../consent/settings.js';
import type { Database } from '../storage/database.js';
import { alertFact, classify, type Fact, INTERNAL_EVENTS, type Rule, ruleFor, type Surface, surfaceForSession } from './visibility.js';

/** The destination words for state topics on a broker (what the owner agrees to). */
export function stateDestination(brokerLabel: string): string {
  return `alarm and sensor state topics on ${brokerLabel}`;
}

/** Audit actions that are the silent fact itself (never listed where someone may be looking). */
const SILENT_ACTIONS: ReadonlySet<string> = new Set(['alarm.duress']);

export interface ClipLike {
  correlationId?: string | null;
  correlation_id?: string | null;
  trigger?: string;
}

/** What the policy decides for one alert and one outbound channel. */
export interface ChannelDecision {
  /** `ask` only for police channels whose consent for this kind is "ask me first". */
  mode: 'send' | 'ask' | 'no';
  share: Share;
  /** In plain words, for the alert's record and the owner's page. */
  reason: string;
}

/**
 * A consent given on the spot for one alert and one police destination ("send this alarm to the
 * alarm receiving centre now, this once"). It covers that alert id only; the standing choices
 * are not changed. The consent module records it in the audit chain.
 */
export interface OneOffConsent {
  alertId: string;
  channelId: string;
  /** The destination words the owner was shown and said yes to. */
  destination: string;
}

export interface ChannelLike {
  id: string;
  police: boolean;
  destination: string;
}

/** The id under which the owner switches on state topics on a broker on another machine. */
export const MQTT_STATE_FLOW = 'mqtt-state';

/** The id under which the owner switches on notifications to her own devices (Web Push). */
export const PUSH_FLOW = 'push';
/** What the owner agrees to when she switches notifications on (shown on "Where your information goes"). */
export const PUSH_DESTINATION =
  "notifications on your own phones and computers, carried by their maker's push service (Google, Apple, Mozilla or Microsoft), encrypted so that service cannot read them: never a photo or your address";

const NOTHING: Share = Object.freeze({ location: false, snapshot: false, clipLink: false });

export class VisibilityPolicy {
  private readonly silentIds = new Set<string>();
  private offs: Array<() => void> = [];
  private consent: () => ConsentSettings = () => DEFAULT_CONSENT;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  /** The consent module hands in its current settings (the policy never reads its tables). */
  useConsent(current: () => ConsentSettings): void {
    this.consent = current;
  }

  /**
   * Whether (and with what) an alert may go to a channel: the table first (a silent panic never
   * goes to a webhook, whatever is stored), then the owner's consent for that very destination.
   */
  channelDecision(
    channel: ChannelLike,
    alert: { kind: AlertKind; silent: boolean; alertId?: string; oneOff?: OneOffConsent },
  ): ChannelDecision {
    const fact: Fact = { kind: alertFact(alert.kind, alert.silent), silent: alert.silent };
    const rule = ruleFor(channel.police ? 'police_channel' : 'other_channel', fact);
    if (rule === 'hide')
      return { mode: 'no', share: NOTHING, reason: `a ${alert.silent ? 'silent ' : ''}${alert.kind} alert never goes to ${channel.id}` };
    if (alert.oneOff) return this.oneOffDecision(channel, alert.alertId, alert.oneOff);
    const settings = this.consent();
    const c = settings.channels[channel.id];
    if (!c) return { mode: 'no', share: NOTHING, reason: `${channel.id} is not switched on (Where your information goes)` };
    if (c.destination !== channel.destination)
      return {
        mode: 'no',
        share: NOTHING,
        reason: `${channel.id} now goes somewhere else than you agreed to: switch it on again to allow it`,
      };
    if (channel.police) {
      const m = settings.kinds[alert.kind];
      if (m === 'never') return { mode: 'no', share: NOTHING, reason: `your setting for ${alert.kind} is "never": police were not told` };
      // An opening/closing report says "set" or "unset" and when; never the address, a photo or a link.
      if (alert.kind === 'open_close') return { mode: 'send', share: NOTHING, reason: 'you agreed to opening and closing reports' };
      return { mode: m === 'ask' ? 'ask' : 'send', share: { ...settings.share }, reason: m === 'ask' ? 'waiting for you' : 'you agreed' };
    }
    if (!c.kinds.includes(alert.kind)) return { mode: 'no', share: NOTHING, reason: `${channel.id} is not switched on for ${alert.kind}` };
    return { mode: 'send', share: { ...c.share }, reason: 'you agreed' };
  }

  /**
   * A one-off consent: only a police channel, only the alert and the destination she said yes to.
   * It sends what happened and when, never the address, a photo or a link (those follow her
   * standing choices, which a one-off does not change).
   */
  private oneOffDecision(channel: ChannelLike, alertId: string | undefined, o: OneOffConsent): ChannelDecision {
    if (!channel.police) return { mode: 'no', share: NOTHING, reason: `a one-off consent is for police channels only, not ${channel.id}` };
    if (alertId === undefined || o.alertId !== alertId || o.channelId !== channel.id)
      return { mode: 'no', share: NOTHING, reason: 'your one-off consent was for another alert or destination' };
    if (o.destination !== channel.destination)
      return { mode: 'no', share: NOTHING, reason: `${channel.id} now goes somewhere else than you were shown: nothing was sent` };
    return { mode: 'send', share: NOTHING, reason: 'you said send, this once' };
  }

  /** May state topics (alarm state, sensors) be published on this broker? */
  mayPublishState(broker: { offMachine: boolean; brokerLabel: string }, name: EventName, payload: unknown): boolean {
    const rule = this.rule(broker.offMachine ? 'mqtt_remote' : 'mqtt_local', name, payload);
    if (rule !== 'consent') return rule === 'show';
    const c = this.consent().channels[MQTT_STATE_FLOW];
    return c !== undefined && c.destination === stateDestination(broker.brokerLabel);
  }

  /**
   * May this event be a notification on the owner's devices? The table's `owner_notification`
   * row first (silent facts never), then whether the owner switched the push flow on.
   */
  mayNotify(name: EventName, payload: unknown): boolean {
    return this.rule('owner_notification', name, payload) === 'consent' && this.pushOn();
  }

  /** May this alert (an "ask me first" question, say) be a notification on the owner's devices? */
  mayNotifyAlert(alert: { kind: AlertKind; silent: boolean; correlationId: string }): boolean {
    const silent = alert.silent || this.isSilent(alert.correlationId);
    const fact: Fact = { kind: alertFact(alert.kind, silent), silent };
    return ruleFor('owner_notification', fact) === 'consent' && this.pushOn();
  }

  /** Whether the owner has notifications switched on right now (the sender asks again before each send). */
  notificationsOn(): boolean {
    return this.pushOn();
  }

  private pushOn(): boolean {
    return this.consent().channels[PUSH_FLOW]?.destination === PUSH_DESTINATION;
  }

  /** Load the silent correlation ids recorded before a restart. */
  async load(): Promise<void> {
    const rows = await this.db.all<{ correlation_id: string }>('SELECT correlation_id FROM silent_facts');
    for (const r of rows) this.silentIds.add(r.correlation_id);
  }

  /**
   * Learn silent facts as they happen. Attached before any module subscribes, so the id is known
   * before a listener that shows things hears of anything correlated with it.
   */
  attach(bus: EventBus): void {
    this.offs.push(
      bus.on('panic', 'policy', (e) => {
        if (!e.loud) this.noteSilent(e.correlationId, 'silent_panic', e.ts);
      }),
      bus.on('duress', 'policy', (e) => this.noteSilent(e.correlationId, 'duress', e.ts)),
    );
  }

  detach(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /** Record that everything carrying this correlation id belongs to a silent fact. */
  noteSilent(correlationId: string, kind: 'silent_panic' | 'duress', ts: number): void {
    if (this.silentIds.has(correlationId)) return;
    this.silentIds.add(correlationId);
    this.db
      .run('INSERT OR IGNORE INTO silent_facts (correlation_id, kind, ts) VALUES (?, ?, ?)', [correlationId, kind, ts])
      .then(undefined, (err: unknown) =>
        // Kept in memory for this run either way; after a restart the hub would not know, so say so loudly.
        this.log.error({ err: describeError(err) }, 'could not store a silent fact id: hide it again after a restart'),
      );
  }

  isSilent(correlationId: string | null | undefined): boolean {
    return typeof correlationId === 'string' && this.silentIds.has(correlationId);
  }

  fact(name: EventName, payload: unknown): Fact {
    return classify(name, payload, (id) => this.silentIds.has(id));
  }

  rule(surface: Surface, name: EventName, payload: unknown): Rule {
    if (INTERNAL_EVENTS.has(name) && surface !== 'evidence_export') return 'hide';
    return ruleFor(surface, this.fact(name, payload));
  }

  /** May this event be shown on a display surface (an app, a feed, a log)? `consent` counts as no. */
  mayShow(surface: Surface, name: EventName, payload: unknown): boolean {
    return this.rule(surface, name, payload) === 'show';
  }

  surfaceFor(session: { user: { role: Role }; scopes: string[] | null }): Surface {
    return surfaceForSession(session.user.role, session.scopes !== null);
  }

  /** Clips: a clip recorded for a silent fact is hidden where silent facts are. */
  mayShowClip(surface: Surface, clip: ClipLike): boolean {
    const id = clip.correlationId ?? clip.correlation_id ?? null;
    return ruleFor(surface, { kind: 'clip', silent: this.isSilent(id) }) === 'show';
  }

  /**
   * An audit entry as a surface may list it: null when it is about a silent fact, redacted when it
   * is an ordinary entry that also records one (a disarm made with the duress PIN is listed as the
   * disarm everyone saw, without the duress flag). The chain itself is never touched.
   */
  auditView(surface: Surface, entry: AuditEntry): AuditEntry | null {
    if (surface === 'evidence_export') return entry;
    const s = entry.subject;
    const silentFact =
      SILENT_ACTIONS.has(entry.action) ||
      (entry.action === 'alarm.panic' && s.loud !== true) ||
      s.kind === 'duress' ||
      s.silent === true ||
      (s.duress === true && entry.action !== 'alarm.disarmed') ||
      this.isSilent(typeof s.correlationId === 'string' ? s.correlationId : null);
    if (silentFact) return ruleFor(surface, { kind: 'silent_panic', silent: true }) === 'show' ? entry : null;
    if ('duress' in s) {
      const { duress: _hidden, ...rest } = s;
      return { ...entry, subject: rest };
    }
    return entry;
  }
}
