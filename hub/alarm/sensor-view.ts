/**
 * The alarm's view of every sensor (open, tamper, battery, online), kept from the sensor events,
 * stored so a restarted hub still knows which window was open, and published on MQTT.
 */
import type { SensorDevice } from '../api/devices.js';
import { describeError } from '../api/errors.js';
import type { Disposer, EventBus, EventMap } from '../api/events.js';
import type { DeviceRegistry, Logger } from '../api/plugin.js';
import { SerialQueue } from '../storage/serial-queue.js';
import type { AlarmStore, SensorStateRow } from './store.js';

export interface SensorStatus extends SensorStateRow {
  id: string;
  name: string;
  location: string;
  kind: SensorDevice['kind'];
  entryRoute: boolean;
  perimeter: boolean;
  smartwater: { marked: boolean; kitCode: string | null };
}

const UNKNOWN: SensorStateRow = { open: null, tamper: false, batteryLow: false, battery: null, online: false, lastChange: null };

export class SensorView {
  private readonly states = new Map<string, SensorStateRow>();
  private readonly writes = new SerialQueue();

  constructor(
    private readonly store: AlarmStore,
    private readonly devices: DeviceRegistry,
    private readonly log: Logger,
    private readonly now: () => number,
    /** Called after a sensor's state changed (the MQTT state topic). */
    private readonly onChange: (status: SensorStatus) => void,
  ) {}

  async load(): Promise<void> {
    for (const [id, s] of await this.store.sensorStates()) this.states.set(id, s);
  }

  attach(bus: EventBus): Disposer[] {
    const owner = 'alarm.sensors';
    return [
      bus.on('sensor.opened', owner, (e) => this.update(e.sensorId, { open: true, online: true, lastChange: e.ts })),
      bus.on('sensor.closed', owner, (e) => this.update(e.sensorId, { open: false, online: true, lastChange: e.ts })),
      bus.on('sensor.tamper', owner, (e) => this.update(e.sensorId, { tamper: e.active })),
      bus.on('sensor.battery_low', owner, (e) => this.update(e.sensorId, { batteryLow: true, battery: e.battery })),
      bus.on('sensor.offline', owner, (e) => this.update(e.sensorId, { online: false })),
      bus.on('sensor.online', owner, (e) => this.update(e.sensorId, { online: true })),
      bus.on('sensor.seen', owner, (e) => this.seen(e)),
    ];
  }

  status(device: SensorDevice): SensorStatus {
    const s = this.states.get(device.id) ?? UNKNOWN;
    return {
      id: device.id,
      name: device.name,
      location: device.location,
      kind: device.kind,
      entryRoute: device.entryRoute,
      perimeter: device.perimeter,
      smartwater: { marked: device.smartwater.marked, kitCode: device.smartwater.kitCode },
      ...s,
    };
  }

  list(): SensorStatus[] {
    return this.devices.sensors().map((d) => this.status(d));
  }

  isOpen(sensorId: string): boolean {
    return this.states.get(sensorId)?.open === true;
  }

  /** Wait for queued writes (the hub is stopping). */
  async flush(): Promise<void> {
    await this.writes.idle();
  }

  private seen(e: EventMap['sensor.seen']): void {
    const patch: Partial<SensorStateRow> = { online: true };
    if (e.battery !== null) patch.battery = e.battery;
    if (e.open !== undefined && e.open !== null) patch.open = e.open;
    if (typeof e.tamper === 'boolean') patch.tamper = e.tamper;
    if (typeof e.batteryLow === 'boolean') patch.batteryLow = e.batteryLow;
    this.update(e.sensorId, patch);
  }

  private update(id: string, patch: Partial<SensorStateRow>): void {
    const prev = this.states.get(id) ?? UNKNOWN;
    const next: SensorStateRow = { ...prev, ...patch };
    if (patch.open !== undefined && prev.open !== patch.open && patch.lastChange === undefined) next.lastChange = this.now();
    if ((Object.keys(next) as Array<keyof SensorStateRow>).every((k) => next[k] === prev[k])) return;
    this.states.set(id, next);
    const device = this.devices.sensor(id);
    if (device) this.onChange(this.status(device));
    const now = this.now();
    this.writes
      .run(() => this.store.saveSensorState(id, next, now))
      .then(undefined, (err: unknown) => {
        this.log.error({ sensor: id, err: describeError(err) }, 'could not store sensor state');
      });
  }
}
