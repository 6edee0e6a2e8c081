/**
 * The consent module: the victim's standing decisions about police alerts. Only the owner reads
 * or changes them. Every change is a new stored version, audited, and announced as
 * `consent.changed`; whether an alarm was active at the time is recorded because a change made
 * mid-incident may have been coerced.
 */
import type { AlertKind } from '../api/events.js';
import type { HubCore, HubModule } from '../core.js';
import { ConsentStore, type ConsentVersion } from './consent-store.js';
import { ALERT_KINDS, applyChange, type ConsentChange, type ConsentMode, consentChangeSchema, describeConsent } from './settings.js';

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

  async start(core: HubCore): Promise<void> {
    this.core = core;
    const store = new ConsentStore(core.db);
    this.store = store;
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
    const next = applyChange(cur.settings, body);
    const alarmActive = this.alarmActive();
    const v = await store.append(next, { userId, sessionId, alarmActive, now: core.clock.now() });
    await core.audit.append({
      action: 'consent.changed',
      actor: userId,
      subject: { version: v.version, previousVersion: cur.version, sessionId, alarmActive, settings: next },
    });
    core.log.info({ version: v.version, userId, alarmActive }, 'consent changed');
    core.bus.emit('consent.changed', { source: 'consent', version: v.version, userId });
    return v;
  }

  /** The decision for an alert kind right now, with the version it came from. */
  async decision(kind: AlertKind): Promise<{ mode: ConsentMode; version: number; share: ConsentVersion['settings']['share'] }> {
    if (!this.store) throw new Error('consent module not started');
    const cur = await this.store.current();
    return { mode: cur.settings.kinds[kind], version: cur.version, share: { ...cur.settings.share } };
  }

  alarmActive(): boolean {
    const now = this.core?.clock.now() ?? Date.now();
    return (this.alarmState !== null && ACTIVE_STATES.has(this.alarmState)) || now - this.lastPanicAt < RECENT_ALARM_MS;
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
      descriptions: describeConsent(v.settings),
    };
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
  }
}
