/**
 * The alarm state machine: disarmed, arming (exit delay), armed_home (perimeter only),
 * armed_away, entry_delay (an entry-route sensor opened), triggered. The record in memory is
 * the truth while the hub runs; every transition is written to SQLite first (state row and
 * history in one transaction), then announced (siren, bus, MQTT), then audited, so a restarted
 * hub resumes exactly where it was and never announced a state it had not stored: armed stays
 * armed, triggered stays triggered, a delay continues from its stored end. Transitions are
 * written and announced one at a time, in the order they happened.
 */
import { describeError, HubError } from '../api/errors.js';
import type { AlarmState, ArmMode, EventBus, SensorRef } from '../api/events.js';
import type { Logger } from '../api/plugin.js';
import type { AuditLog } from '../audit/audit-log.js';
import { SerialQueue } from '../storage/serial-queue.js';
import type { AlarmConfig } from './config.js';
import type { Siren } from './siren.js';
import type { AlarmRecord, AlarmStore } from './store.js';

export interface MachineDeps {
  bus: EventBus;
  log: Logger;
  now: () => number;
  store: AlarmStore;
  audit: AuditLog;
  siren: Siren;
  config: AlarmConfig;
  /** Publish the (retained) MQTT state after every change. */
  publish: (rec: Readonly<AlarmRecord>) => void;
}

interface TransitionMeta {
  reason: string;
  userId: string | null;
  /** Extra fields for the audit entry only (the hash-chained log the owner and a court see). */
  audit?: Record<string, unknown>;
}

const AUDIT_ACTION: Record<AlarmState, string> = {
  disarmed: 'alarm.disarmed',
  arming: 'alarm.arming',
  armed_home: 'alarm.armed',
  armed_away: 'alarm.armed',
  entry_delay: 'alarm.entry_delay',
  triggered: 'alarm.triggered',
};

export class AlarmMachine {
  private rec: AlarmRecord;
  private timer: NodeJS.Timeout | null = null;
  private readonly writes = new SerialQueue();

  /** Settles once the alarm's write queue reaches it (the watchdog's liveness probe). */
  alive(): Promise<void> {
    return this.writes.run(() => undefined);
  }

  constructor(private readonly d: MachineDeps) {
    this.rec = {
      state: 'disarmed',
      mode: null,
      delayEndsAt: null,
      triggeredBy: null,
      reason: 'new hub',
      bypassed: [],
      sirenUntil: null,
      changedAt: d.now(),
      changedBy: null,
    };
  }

  get record(): Readonly<AlarmRecord> {
    return this.rec;
  }

  /** Load the stored state and pick up where the hub left off. */
  async restore(): Promise<void> {
    const stored = await this.d.store.loadState();
    if (!stored) {
      await this.d.store.saveState(this.rec);
      this.d.publish(this.rec);
      return;
    }
    this.rec = stored;
    const now = this.d.now();
    this.d.log.info({ state: stored.state, mode: stored.mode, delayEndsAt: stored.delayEndsAt }, 'alarm state restored');
    if (stored.state === 'triggered' && stored.sirenUntil !== null && stored.sirenUntil > now) {
      this.d.siren.start('resumed after restart', stored.sirenUntil);
    }
    this.d.publish(this.rec);
    // A delay that ran out while the hub was off ends now (an intruder cannot beat the alarm by pulling the plug).
    if (stored.state === 'arming' || stored.state === 'entry_delay') this.schedule();
  }

  arm(mode: ArmMode, userId: string | null, bypassed: string[]): Promise<void> {
    const s = this.rec.state;
    if ((s === 'arming' || s === mode) && this.rec.mode === mode) return this.writes.idle();
    if (s !== 'disarmed') {
      throw new HubError('HUB_ERR_ALARM_STATE', `the alarm is ${s.replace('_', ' ')}; disarm it before arming ${mode.replace('_', ' ')}`, {
        details: { state: s },
      });
    }
    const exitMs = this.d.config.exitDelaySeconds * 1000;
    const reason = bypassed.length > 0 ? `armed with ${bypassed.length} open sensor(s) bypassed` : 'armed';
    const meta = { reason, userId, audit: { bypassed } };
    if (exitMs > 0) return this.transition('arming', { mode, delayEndsAt: this.d.now() + exitMs, bypassed, triggeredBy: null }, meta);
    return this.transition(mode, { mode, delayEndsAt: null, bypassed, triggeredBy: null }, meta);
  }

  /** Disarm from any state. `audit` carries the duress flag, which nothing else may show. */
  disarm(userId: string | null, reason: string, audit: Record<string, unknown>): Promise<void> {
    if (this.rec.state === 'disarmed') {
      return this.d.audit
        .append({ action: 'alarm.disarmed', actor: userId ?? 'system', subject: { from: 'disarmed', to: 'disarmed', reason, ...audit } })
        .then(() => undefined);
    }
    return this.transition('disarmed', {}, { reason, userId, audit });
  }

  /**
   * Stop the siren and leave the alarm triggered: the incident, its alerts and its evidence go on.
   * The stored siren end is cleared first, so a restarted hub does not sound it again.
   */
  silence(userId: string): Promise<void> {
    if (this.rec.state !== 'triggered')
      throw new HubError(
        'HUB_ERR_ALARM_STATE',
        `the alarm is ${this.rec.state.replace('_', ' ')}, not going off: there is no siren to silence`,
        {
          details: { state: this.rec.state },
        },
      );
    const wasOn = this.d.siren.on;
    this.rec = { ...this.rec, sirenUntil: null };
    const snapshot = this.rec;
    return this.writes.run(async () => {
      await this.d.store.saveState(snapshot);
      this.d.siren.stop('silenced with a PIN');
      await this.d.audit.append({ action: 'alarm.siren_silenced', actor: userId, subject: { state: 'triggered', sirenWasOn: wasOn } });
    });
  }

  trigger(cause: SensorRef | null, reason: string, userId: string | null): Promise<void> {
    if (this.rec.state === 'triggered') return this.writes.idle();
    return this.transition('triggered', { triggeredBy: cause, delayEndsAt: null }, { reason, userId });
  }

  onOpened(ref: SensorRef): void {
    const s = this.rec.state;
    if (s === 'disarmed' || s === 'triggered' || ref.kind === 'button') return;
    if (this.rec.bypassed.includes(ref.sensorId)) return;
    // armed_home watches the perimeter only; armed_away everything.
    if (this.rec.mode !== 'armed_away' && !ref.perimeter) return;
    const why = `${ref.name} opened`;
    if (s === 'arming' || s === 'entry_delay') {
      // The way in or out, and the rooms on it, are expected during a delay; another door or window is not.
      if (ref.entryRoute || !ref.perimeter) return;
      this.background(this.trigger(ref, why, null));
      return;
    }
    const entryMs = this.d.config.entryDelaySeconds * 1000;
    if (ref.entryRoute && entryMs > 0) {
      this.background(
        this.transition('entry_delay', { delayEndsAt: this.d.now() + entryMs, triggeredBy: ref }, { reason: why, userId: null }),
      );
    } else {
      this.background(this.trigger(ref, why, null));
    }
  }

  onClosed(ref: SensorRef): void {
    if (!this.rec.bypassed.includes(ref.sensorId)) return;
    // A bypassed sensor that closes is watched again from now on.
    this.rec = { ...this.rec, bypassed: this.rec.bypassed.filter((id) => id !== ref.sensorId) };
    const snapshot = this.rec;
    this.background(this.writes.run(() => this.d.store.saveState(snapshot)));
  }

  onTamper(ref: SensorRef, active: boolean): void {
    const s = this.rec.state;
    if (!active || !this.d.config.tamperTriggers || s === 'disarmed' || s === 'triggered') return;
    if (this.rec.mode !== 'armed_away' && !ref.perimeter) return;
    this.background(this.trigger(ref, `${ref.name} tampered with`, null));
  }

  close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.writes.idle();
  }

  private transition(to: AlarmState, patch: Partial<AlarmRecord>, meta: TransitionMeta): Promise<void> {
    const from = this.rec.state;
    const now = this.d.now();
    let rec: AlarmRecord = { ...this.rec, ...patch, state: to, reason: meta.reason, changedAt: now, changedBy: meta.userId };
    if (to === 'disarmed') rec = { ...rec, mode: null, delayEndsAt: null, triggeredBy: null, bypassed: [], sirenUntil: null };
    if (to === 'armed_home' || to === 'armed_away') rec = { ...rec, delayEndsAt: null };
    if (to === 'triggered') rec = { ...rec, sirenUntil: now + this.d.config.sirenMaxSeconds * 1000 };
    this.rec = rec;
    this.schedule();
    return this.writes.run(async () => {
      let failure: unknown = null;
      try {
        await this.d.store.saveTransition(rec, {
          ts: now,
          from,
          to,
          mode: rec.mode,
          reason: meta.reason,
          userId: meta.userId,
          delayEndsAt: rec.delayEndsAt,
          causeSensorId: rec.triggeredBy?.sensorId ?? null,
        });
      } catch (err) {
        // A dead SD card must not silence an intruder alarm: announce anyway, and say the write failed.
        failure = err;
        this.d.log.error({ from, to, err: describeError(err) }, 'could not store an alarm state change; announcing it anyway');
      }
      this.announce(from, rec, meta);
      await this.d.audit.append({
        action: AUDIT_ACTION[to],
        actor: meta.userId ?? 'system',
        subject: {
          from,
          to,
          mode: rec.mode,
          reason: meta.reason,
          sensor: rec.triggeredBy?.sensorId ?? null,
          delayEndsAt: rec.delayEndsAt,
          ...(meta.audit ?? {}),
        },
      });
      if (failure) throw failure;
    });
  }

  private announce(from: AlarmState, rec: AlarmRecord, meta: TransitionMeta): void {
    const to = rec.state;
    if (to === 'triggered' && rec.sirenUntil !== null) this.d.siren.start(meta.reason, rec.sirenUntil);
    if (to === 'disarmed') this.d.siren.stop('disarmed');
    this.d.bus.emit('alarm.state_changed', {
      source: 'alarm',
      from,
      to,
      mode: rec.mode,
      reason: meta.reason,
      userId: meta.userId,
      delayEndsAt: rec.delayEndsAt,
    });
    if (to === 'triggered') this.d.bus.emit('alarm.triggered', { source: 'alarm', cause: rec.triggeredBy, reason: meta.reason });
    this.d.publish(rec);
    this.d.log.info({ from, to, mode: rec.mode, reason: meta.reason, sensor: rec.triggeredBy?.sensorId }, 'alarm state changed');
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { state, delayEndsAt } = this.rec;
    if ((state !== 'arming' && state !== 'entry_delay') || delayEndsAt === null) return;
    this.timer = setTimeout(() => this.delayEnded(state), Math.max(0, delayEndsAt - this.d.now()));
  }

  private delayEnded(expected: AlarmState): void {
    this.timer = null;
    const { state, mode } = this.rec;
    if (state !== expected) return;
    if (state === 'arming' && mode) this.background(this.transition(mode, {}, { reason: 'exit delay ended', userId: this.rec.changedBy }));
    if (state === 'entry_delay') this.background(this.trigger(this.rec.triggeredBy, 'entry delay ended without a PIN', null));
  }

  /** Transitions caused by sensors and timers have no caller to tell: a failed write is logged. */
  private background(p: Promise<void>): void {
    p.then(undefined, (err: unknown) => this.d.log.error({ err: describeError(err) }, 'could not store an alarm state change'));
  }
}
