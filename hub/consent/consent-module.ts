/**
 * The consent module: the victim's standing decisions about police alerts. Only the owner reads
 * or changes them. Every change is a new stored version, audited, and announced as
 * `consent.changed`; whether an alarm was active at the time is recorded because a change made
 * mid-incident may have been coerced.
 */

import type { EgressDestination } from '../api/egress.js';
import { ValidationError } from '../api/errors.js';
import type { AlertKind } from '../api/events.js';
import type { HubCore, HubModule } from '../core.js';
import { MQTT_STATE_FLOW, type OneOffConsent, PUSH_DESTINATION, PUSH_FLOW, stateDestination } from '../policy/policy.js';
import { ConsentStore, type ConsentVersion } from './consent-store.js';
import {
  ALERT_KINDS,
  applyChange,
  type ConsentChange,
  type ConsentContext,
  type ConsentMode,
  type ConsentSettings,
  consentChangeSchema,
  DEFAULT_CONSENT,
  describeConsent,
  type KnownDestination,
  UnknownChannelError,
} from './settings.js';

/** Panic or duress within this long counts as "an alarm is active" for the consent record. */
const RECENT_ALARM_MS = 15 * 60_000;
const ACTIVE_STATES = new Set(['triggered', 'entry_delay']);

export class ConsentModule implements HubModule {
  readonly name = 'consent';
  private store: ConsentStore | null = null;
  private alarmState: string | null = null;
  private lastPanicAt = 0;
  private core: HubCore | null = null;
  private readonly offs: Array<() => void> = [];

  private settings: ConsentSettings = DEFAULT_CONSENT;

  async start(core: HubCore): Promise<void> {
    this.core = core;
    const store = new ConsentStore(core.db);
    this.store = store;
    this.settings = (await store.current()).settings;
    // The policy decides every outbound flow from these settings; it never reads our tables.
    core.policy.useConsent(() => this.settings);
    const last = await core.db.get<{ payload: string }>(
      "SELECT payload FROM events WHERE name = 'alarm.state_changed' ORDER BY seq DESC LIMIT 1",
    );
    if (last) this.alarmState = (JSON.parse(last.payload) as { to?: string }).to ?? null;
    this.offs.push(
      core.bus.on('alarm.state_changed', 'consent', (e) => {
        this.alarmState = e.to;
      }),
    );
    this.offs.push(
      core.bus.on('panic', 'consent', (e) => {
        this.lastPanicAt = e.ts;
      }),
    );
    this.offs.push(
      core.bus.on('duress', 'consent', (e) => {
        this.lastPanicAt = e.ts;
      }),
    );

    core.http.route({
      method: 'GET',
      url: '/api/consent',
      access: { roles: ['owner'] },
      handler: async () => this.view(await store.current()),
    });
    core.http.route({
      method: 'PUT',
      url: '/api/consent',
      access: { roles: ['owner'] },
      body: consentChangeSchema,
      handler: async ({ body, session }) => this.view(await this.change(body, session.user.id, session.sessionId)),
    });
    // "Where your information goes": every destination something could leave the hub for, what it
    // may receive, and whether the owner switched it on.
    core.http.route({
      method: 'GET',
      url: '/api/egress',
      access: { roles: ['owner'] },
      handler: async ({ session }) => ({ destinations: await this.destinationsView(session.user.id) }),
    });
    core.http.route({
      method: 'GET',
      url: '/api/consent/history',
      access: { roles: ['owner'] },
      handler: async () => ({ versions: (await store.history()).map((v) => this.view(v)) }),
    });
  }

  /**
   * Store a new version, audit it and announce it. The API passes the signed-in owner's session;
   * the demo passes `demo` so its stand-in consent is marked as such in the history.
   */
  async change(body: ConsentChange, userId: string, sessionId: string): Promise<ConsentVersion> {
    const core = this.core;
    const store = this.store;
    if (!core || !store) throw new Error('consent module not started');
    const cur = await store.current();
    // A covert panic cannot put a question on screen: whoever is with the victim would see it.
    const alarm = core.module<{ name: string; loudPanicEnabled: boolean } & HubModule>('alarm');
    if (body.kinds?.panic === 'ask' && alarm && !alarm.loudPanicEnabled)
      throw new ValidationError(
        'body.kinds.panic: your panic is silent, so the hub cannot ask you on screen: choose automatic or never, or make the panic loud first',
        {
          field: 'kinds.panic',
        },
      );
    let next: ConsentSettings;
    try {
      next = applyChange(cur.settings, body, this.destinations());
    } catch (err) {
      if (err instanceof UnknownChannelError)
        throw new ValidationError(`body.channels.${err.channelId}: ${err.message}`, { field: `channels.${err.channelId}` });
      throw err;
    }
    const alarmActive = this.alarmActive();
    const v = await store.append(next, { userId, sessionId, alarmActive, now: core.clock.now() });
    this.settings = v.settings;
    await core.audit.append({
      action: 'consent.changed',
      actor: userId,
      subject: { version: v.version, previousVersion: cur.version, sessionId, alarmActive, settings: next },
    });
    core.log.info({ version: v.version, userId, alarmActive }, 'consent changed');
    core.bus.emit('consent.changed', { source: 'consent', version: v.version, userId });
    return v;
  }

  /**
   * A consent given on the spot for one alert to one police destination. The standing settings
   * are not changed (no new version); the audit chain records who said yes, from which session,
   * to what, and that an alarm was going on.
   */
  async recordOneOff(
    consent: OneOffConsent,
    alert: { kind: AlertKind },
    who: { userId: string; sessionId: string },
  ): Promise<OneOffConsent> {
    const core = this.core;
    if (!core) throw new Error('consent module not started');
    const alarmActive = this.alarmActive();
    await core.audit.append({
      action: 'consent.one_off',
      actor: who.userId,
      subject: {
        alertId: consent.alertId,
        kind: alert.kind,
        channel: consent.channelId,
        destination: consent.destination,
        sessionId: who.sessionId,
        alarmActive,
      },
    });
    core.log.info({ alertId: consent.alertId, channel: consent.channelId, userId: who.userId }, 'one-off consent given');
    return consent;
  }

  /** The decision for an alert kind right now, with the version it came from. */
  async decision(kind: AlertKind): Promise<{ mode: ConsentMode; version: number; share: ConsentVersion['settings']['share'] }> {
    if (!this.store) throw new Error('consent module not started');
    const cur = await this.store.current();
    return { mode: cur.settings.kinds[kind], version: cur.version, share: { ...cur.settings.share } };
  }

  /** Destinations the owner can switch on now: the registered alert channels, and state topics on a broker elsewhere. */
  destinations(): KnownDestination[] {
    const core = this.core;
    if (!core) return [];
    const list: KnownDestination[] = core.alertChannels.list().map((c) => ({ id: c.id, police: c.police, destination: c.destination }));
    if (core.mqtt.offMachine) list.push({ id: MQTT_STATE_FLOW, police: false, destination: stateDestination(core.mqtt.brokerLabel) });
    if (this.pushAvailable()) list.push({ id: PUSH_FLOW, police: false, destination: PUSH_DESTINATION });
    return list;
  }

  private async destinationsView(ownerId: string): Promise<EgressDestination[]> {
    const core = this.core;
    if (!core) return [];
    const s = this.settings;
    const channels = core.alertChannels.list();
    const views = channels.map((c) => {
      const consent = s.channels[c.id];
      const on = consent !== undefined && consent.destination === c.destination;
      return {
        id: c.id,
        type: c.police ? ('police' as const) : ('channel' as const),
        destination: c.destination,
        offMachine: c.offMachine,
        on,
        destinationChanged: consent !== undefined && !on,
        kinds: c.police ? ALERT_KINDS.filter((k) => s.kinds[k] !== 'never') : (consent?.kinds ?? []),
        share: c.police ? s.share : (consent?.share ?? { location: false, snapshot: false, clipLink: false }),
        silentAlerts: c.police ? ('with your consent' as const) : ('never' as const),
      };
    });
    const state = core.mqtt.offMachine
      ? [
          {
            id: MQTT_STATE_FLOW,
            type: 'state' as const,
            destination: stateDestination(core.mqtt.brokerLabel),
            offMachine: true,
            on: s.channels[MQTT_STATE_FLOW]?.destination === stateDestination(core.mqtt.brokerLabel),
            destinationChanged: false,
            kinds: [],
            share: { location: false, snapshot: false, clipLink: false },
            silentAlerts: 'never' as const,
          },
        ]
      : [];
    const push = this.pushAvailable()
      ? [
          {
            id: PUSH_FLOW,
            type: 'notifications' as const,
            destination: PUSH_DESTINATION,
            offMachine: true,
            on: s.channels[PUSH_FLOW]?.destination === PUSH_DESTINATION,
            destinationChanged: false,
            kinds: [],
            share: { location: false, snapshot: false, clipLink: false },
            silentAlerts: 'never' as const,
          },
        ]
      : [];
    // API tokens (Homebridge, automations) read what their scopes allow; revoking one is its switch.
    const tokens = (await core.accounts.listApiTokens(ownerId))
      .filter((t) => t.revokedAt === null)
      .map((t) => ({
        id: `token:${t.id}`,
        type: 'token' as const,
        destination: `API token "${t.name}" (${t.scopes.join(', ')})`,
        offMachine: false,
        on: true,
        destinationChanged: false,
        kinds: [],
        share: { location: false, snapshot: false, clipLink: false },
        silentAlerts: 'never' as const,
      }));
    return [...views, ...state, ...push, ...tokens];
  }

  /** Notifications exist when the push module is part of this hub (it starts after this one). */
  private pushAvailable(): boolean {
    return this.core?.config.push.enabled ?? false;
  }

  alarmActive(): boolean {
    const now = this.core?.clock.now() ?? Date.now();
    return (this.alarmState !== null && ACTIVE_STATES.has(this.alarmState)) || now - this.lastPanicAt < RECENT_ALARM_MS;
  }

  private loudPanic(): boolean {
    return this.core?.module<{ name: string; loudPanicEnabled: boolean } & HubModule>('alarm')?.loudPanicEnabled ?? false;
  }

  /** What the plain words depend on besides the choices themselves (see describeConsent). */
  private wordsContext(s: ConsentSettings): ConsentContext {
    const core = this.core;
    const police = (core?.alertChannels.list() ?? []).filter((c) => c.police);
    const alerts = core?.config.alerts;
    return {
      policeSetUp: police.length > 0,
      policeOn: police.some((c) => s.channels[c.id]?.destination === c.destination),
      loudPanic: this.loudPanic(),
      askSeconds: alerts?.askTimeoutSeconds ?? 300,
      addressSet: (core?.config.home.address.trim() ?? '') !== '',
      linksPossible: (alerts?.publicBaseUrl ?? null) !== null,
      linkMinutes: alerts?.verificationLinkMinutes ?? 120,
    };
  }

  private view(v: ConsentVersion) {
    return {
      version: v.version,
      settings: v.settings,
      changedAt: v.createdAt,
      changedBy: v.userId,
      sessionId: v.sessionId,
      alarmActive: v.alarmActive,
      kinds: ALERT_KINDS,
      descriptions: describeConsent(v.settings, this.wordsContext(v.settings)),
      loudPanic: this.loudPanic(),
      destinations: this.destinations(),
    };
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
  }
}
