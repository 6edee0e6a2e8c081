/**
 * The alarm as a hub module: the state machine, PINs and duress, the siren, panic (covert unless
 * the victim chose loud) and SmartWater marking. The HTTP routes (routes.ts), the demo and the
 * benchmark call the methods here.
 */
import { describeError, HubError, ValidationError } from '../api/errors.js';
import type { AlarmState, ArmMode, Disposer, EventMap, SensorRef } from '../api/events.js';
import type { HubCore, HubModule } from '../core.js';
import { AlarmMachine } from './machine.js';
import { AlarmPins, type PinMatch } from './pins.js';
import { StatePublisher } from './publisher.js';
import { registerAlarmRoutes } from './routes.js';
import { type SensorStatus, SensorView } from './sensor-view.js';
import { Siren, sirenOutput } from './siren.js';
import { AlarmStore } from './store.js';

/** What GET /api/alarm answers (the contract the UI and Homebridge build on). */
export interface AlarmSnapshot {
  state: AlarmState;
  mode: ArmMode | null;
  delayEndsAt: number | null;
  triggeredBy: SensorRef | null;
  sirenOn: boolean;
  /** `bypassed`: armed over while open, so not watched until it closes (the owner sees it "paused"). */
  sensors: Array<SensorStatus & { bypassed: boolean }>;
}

export function toSensorRef(e: SensorRef): SensorRef {
  const { sensorId, name, location, kind, entryRoute, perimeter, smartwaterKitCode } = e;
  return { sensorId, name, location, kind, entryRoute, perimeter, smartwaterKitCode };
}

export class AlarmModule implements HubModule {
  readonly name = 'alarm';
  private core: HubCore | null = null;
  private machine: AlarmMachine | null = null;
  private pins: AlarmPins | null = null;
  private view: SensorView | null = null;
  private siren: Siren | null = null;
  private store: AlarmStore | null = null;
  private disposers: Disposer[] = [];
  private loudPanic = false;

  async start(core: HubCore): Promise<void> {
    this.core = core;
    const { bus, config } = core;
    const log = core.log.child({ module: 'alarm' });
    const now = () => core.clock.now();
    const store = new AlarmStore(core.db);
    this.store = store;
    const publisher = new StatePublisher(core.mqtt, config.mqtt.baseTopic, log, core.policy);
    this.pins = new AlarmPins(store, bus, core.audit, {
      attempts: config.alarm.pinAttempts,
      lockoutMs: config.alarm.pinLockoutSeconds * 1000,
      now,
    });
    await this.pins.load();
    const view = new SensorView(store, core.devices, log, now, (s) => publisher.sensor(s));
    this.view = view;
    await view.load();
    this.siren = new Siren(
      sirenOutput(config.alarm.siren, config.mqtt.zigbee2mqttBaseTopic),
      core.mqtt,
      bus,
      log,
      core.health.reporter('siren'),
      now,
    );
    this.machine = new AlarmMachine({
      bus,
      log,
      now,
      store,
      audit: core.audit,
      siren: this.siren,
      config: config.alarm,
      publish: (r) => publisher.alarm(r.state),
    });
    await this.machine.restore();
    this.loudPanic = (await store.setting<boolean>('loudPanic')) ?? config.alarm.loudPanic;
    const machine = this.machine;
    this.disposers = [
      ...view.attach(bus),
      bus.on('sensor.opened', 'alarm', (e) => machine.onOpened(toSensorRef(e))),
      bus.on('sensor.closed', 'alarm', (e) => machine.onClosed(toSensorRef(e))),
      bus.on('sensor.tamper', 'alarm', (e) => machine.onTamper(toSensorRef(e), e.active)),
      bus.on('button.pressed', 'alarm', (e) => this.onButton(e)),
    ];
    for (const s of view.list()) publisher.sensor(s);
    registerAlarmRoutes(core, this);
    this.disposers.push(core.liveness.register('alarm', () => machine.alive()));
    core.health.set('alarm', 'ok', `alarm ${machine.record.state}`);
  }

  async stop(): Promise<void> {
    for (const off of this.disposers) off();
    this.disposers = [];
    this.siren?.close();
    await this.machine?.close();
    await this.view?.flush();
  }

  snapshot(): AlarmSnapshot {
    const { machine, view, siren } = this.parts();
    const r = machine.record;
    return {
      state: r.state,
      mode: r.mode,
      delayEndsAt: r.delayEndsAt,
      triggeredBy: r.triggeredBy,
      sirenOn: siren.on,
      sensors: view.list().map((s) => ({ ...s, bypassed: r.bypassed.includes(s.id) })),
    };
  }

  async arm(input: { mode: ArmMode; userId: string; pin?: string | undefined; force: boolean; viaToken: boolean }): Promise<AlarmSnapshot> {
    const { machine, pins, view, core } = this.parts();
    if (input.pin !== undefined) {
      const match = await pins.check(input.pin, input.userId, input.userId);
      if (match.duress) this.raiseDuress(match, 'arm');
    } else if (!input.viaToken && !(await pins.hasPin(input.userId))) {
      // Arming from the app without a PIN to disarm with would leave the victim locked out of their own alarm.
      throw new HubError('HUB_ERR_ALARM_STATE', 'set your alarm PIN first (PUT /api/alarm/pins): it is needed to disarm');
    }
    const open = core.devices.sensors().filter((s) => s.enabled && s.perimeter && s.kind !== 'button' && view.isOpen(s.id));
    if (open.length > 0 && !input.force) {
      const names = open.map((s) => (s.location ? `${s.name} (${s.location})` : s.name)).join(', ');
      throw new HubError(
        'HUB_ERR_ALARM_STATE',
        `open: ${names}. Close ${open.length === 1 ? 'it' : 'them'}, or arm with force to bypass until closed`,
        {
          details: { openSensors: open.map((s) => ({ id: s.id, name: s.name, location: s.location })) },
        },
      );
    }
    await machine.arm(
      input.mode,
      input.userId,
      open.map((s) => s.id),
    );
    return this.snapshot();
  }

  /**
   * A browser session must give a PIN; an API token with the `alarm:disarm` scope may disarm without.
   * A duress PIN disarms exactly like the normal one (same state, same answer, same MQTT topic)
   * and raises a silent `duress` event; only the hash-chained audit entry records it.
   */
  async disarm(input: { userId: string; pin?: string | undefined; viaToken: boolean }): Promise<AlarmSnapshot> {
    const { machine, pins } = this.parts();
    let match: PinMatch | null = null;
    if (input.pin !== undefined) match = await pins.check(input.pin, input.userId, input.userId);
    else if (!input.viaToken) throw new ValidationError('pin: enter your alarm PIN to disarm', { field: 'pin' });
    const userId = match?.userId ?? input.userId;
    const done = machine.disarm(userId, 'disarmed', { duress: match?.duress === true, by: match ? 'pin' : 'api token' });
    if (match?.duress) this.raiseDuress(match, null);
    await done;
    return this.snapshot();
  }

  /**
   * Silence the siren without disarming: the alarm stays triggered and its alerts go on. The same
   * PIN rules as disarming; a duress PIN silences exactly like the normal one and raises the
   * silent duress alarm, recorded in its own audit entry.
   */
  async silence(input: { userId: string; pin?: string | undefined; viaToken: boolean }): Promise<AlarmSnapshot> {
    const { machine, pins } = this.parts();
    let match: PinMatch | null = null;
    if (input.pin !== undefined) match = await pins.check(input.pin, input.userId, input.userId);
    else if (!input.viaToken) throw new ValidationError('pin: enter your alarm PIN to silence the siren', { field: 'pin' });
    await machine.silence(match?.userId ?? input.userId);
    if (match?.duress) this.raiseDuress(match, 'silence');
    return this.snapshot();
  }

  /**
   * Proof for a PIN change: this user's current PIN (wrong tries count towards the keypad
   * lockout). The duress PIN is accepted exactly like the normal one and raises the silent alarm.
   */
  async checkCurrentPin(userId: string, pin: string): Promise<void> {
    const { pins } = this.parts();
    const match = await pins.check(pin, userId, userId);
    if (match.userId !== userId) throw new HubError('HUB_ERR_BAD_PIN', 'currentPin: that is not your current PIN');
    if (match.duress) this.raiseDuress(match, 'pin_change');
  }

  async setPins(userId: string, pin: string, duressPin: string): Promise<void> {
    const { pins, core } = this.parts();
    await pins.set(userId, pin, duressPin);
    await core.audit.append({ action: 'alarm.pins_set', actor: userId, subject: { userId } });
  }

  async hasPin(userId: string): Promise<boolean> {
    return this.parts().pins.hasPin(userId);
  }

  get loudPanicEnabled(): boolean {
    return this.loudPanic;
  }

  async setLoudPanic(userId: string, loud: boolean): Promise<void> {
    const { store, core } = this.parts();
    await store.setSetting('loudPanic', loud, core.clock.now(), userId);
    this.loudPanic = loud;
    await core.audit.append({ action: 'alarm.panic_mode_changed', actor: userId, subject: { loudPanic: loud } });
  }

  /** Covert unless the victim chose a loud panic: then the alarm triggers and the siren sounds. */
  async panic(origin: EventMap['panic']['origin'], userId: string | null): Promise<void> {
    const { machine, core } = this.parts();
    const loud = this.loudPanic;
    const e = core.bus.emit('panic', { source: 'alarm', origin, userId, loud });
    const audited = core.audit.append({
      action: 'alarm.panic',
      actor: userId ?? 'system',
      subject: { origin, loud, correlationId: e.correlationId },
    });
    if (loud) await machine.trigger(null, 'panic', userId);
    await audited;
  }

  async smartwater(userId: string, note: string): Promise<{ markedFrom: number; markedTo: number }> {
    const { core } = this.parts();
    const ts = core.clock.now();
    const margin = core.config.evidence.smartwaterMarginMinutes * 60_000;
    const markedFrom = ts - margin;
    const markedTo = ts + margin;
    const used = core.bus.emit('smartwater.used', { source: 'alarm', ts, userId, note });
    core.bus.emit('evidence.marked', {
      source: 'alarm',
      ts,
      correlationId: used.correlationId,
      fromTs: markedFrom,
      toTs: markedTo,
      reason: note ? `SmartWater spray used: ${note}` : 'SmartWater spray used',
    });
    await core.audit.append({
      action: 'smartwater.used',
      actor: userId,
      subject: { note, markedFrom, markedTo, correlationId: used.correlationId },
    });
    return { markedFrom, markedTo };
  }

  private raiseDuress(match: PinMatch, during: 'arm' | 'pin_change' | 'silence' | null): void {
    const { core } = this.parts();
    core.bus.emit('duress', { source: 'alarm', userId: match.userId });
    // A duress PIN used to disarm is recorded in the disarm entry itself; elsewhere it gets its own.
    if (during) {
      core.audit.append({ action: 'alarm.duress', actor: match.userId, subject: { during } }).then(undefined, (err: unknown) => {
        core.log.error({ err: describeError(err) }, 'could not audit a duress PIN');
      });
    }
  }

  private onButton(e: EventMap['button.pressed']): void {
    if (!e.panic) return;
    const core = this.core;
    this.panic('button', null).then(undefined, (err: unknown) => {
      core?.log.error({ sensor: e.sensorId, err: describeError(err) }, 'panic from a button failed');
    });
  }

  private parts() {
    const { core, machine, pins, view, siren } = this;
    const store = this.store;
    if (!core || !machine || !pins || !view || !siren || !store) throw new HubError('HUB_ERR_INTERNAL', 'the alarm module is not running');
    return { core, machine, pins, view, siren, store };
  }
}
