/**
 * What each sensor last said, and the events a new reading causes. Events state changes only:
 * a sensor repeating "closed" every hour emits `sensor.seen`, never a second `sensor.closed`.
 *
 * First report: the hub keeps each sensor's last known contact/tamper/battery state (the plugin's
 * store), so after a restart a report is compared with what the sensor said before the restart,
 * and a door opened while the hub was off is reported as opened. For a sensor never heard from,
 * the first report establishes its state: a first "closed" is silent (nothing happened), but a
 * first "open" emits `sensor.opened`, because an entry point found open is a fact an armed alarm
 * must act on (a sensor paired while the door stood open; the hub's store was lost).
 */
import type { EventBus, Logger, SensorDevice, SensorRef } from '../../hub/api/index.js';
import type { Reading } from './payloads.js';

export interface KnownState {
  open: boolean | null;
  tamper: boolean | null;
  batteryLow: boolean | null;
}

interface Tracked extends KnownState {
  device: SensorDevice;
  battery: number | null;
  online: boolean;
  lastSeen: number;
}

export function sensorRef(d: SensorDevice): SensorRef {
  return {
    sensorId: d.id,
    name: d.name,
    location: d.location,
    kind: d.kind,
    entryRoute: d.entryRoute,
    perimeter: d.perimeter,
    smartwaterKitCode: d.smartwater.marked ? d.smartwater.kitCode : null,
  };
}

export class SensorTracker {
  private readonly tracked = new Map<string, Tracked>();
  private readonly source: string;

  constructor(
    private readonly bus: EventBus,
    private readonly opts: {
      source: string;
      now: () => number;
      lowBatteryPercent: number;
      /** Called when a sensor's known state changes, to keep it across restarts. */
      persist: (sensorId: string, state: KnownState) => void;
      log: Logger;
    },
  ) {
    this.source = opts.source;
  }

  /** Follow the registry: new sensors start unknown (or from `stored`), removed ones are dropped. */
  sync(devices: SensorDevice[], stored: ReadonlyMap<string, KnownState>): void {
    const ids = new Set(devices.map((d) => d.id));
    for (const id of this.tracked.keys()) if (!ids.has(id)) this.tracked.delete(id);
    for (const d of devices) {
      const t = this.tracked.get(d.id);
      if (t) {
        t.device = d;
        continue;
      }
      const s = stored.get(d.id);
      this.tracked.set(d.id, {
        device: d,
        open: s?.open ?? null,
        tamper: s?.tamper ?? null,
        batteryLow: s?.batteryLow ?? null,
        battery: null,
        // Assumed alive until it stays silent past its check-in interval (or Zigbee2MQTT says otherwise).
        online: true,
        lastSeen: this.opts.now(),
      });
    }
  }

  state(sensorId: string): Readonly<Tracked> | undefined {
    return this.tracked.get(sensorId);
  }

  apply(sensorId: string, r: Reading): void {
    const t = this.tracked.get(sensorId);
    if (!t) return;
    const ref = sensorRef(t.device);
    const base = { source: this.source, ...ref };
    this.markAlive(t);
    let changed = false;

    if (r.open !== undefined && r.open !== t.open) {
      const first = t.open === null;
      t.open = r.open;
      changed = true;
      if (r.open) this.bus.emit('sensor.opened', base);
      else if (!first) this.bus.emit('sensor.closed', base);
    }
    if (r.tamper !== undefined && r.tamper !== t.tamper) {
      const first = t.tamper === null;
      t.tamper = r.tamper;
      changed = true;
      if (r.tamper || !first) this.bus.emit('sensor.tamper', { ...base, active: r.tamper });
    }
    if (r.battery !== undefined) t.battery = r.battery;
    const low = r.batteryLow ?? (r.battery !== undefined ? r.battery <= this.opts.lowBatteryPercent : undefined);
    if (low !== undefined && low !== t.batteryLow) {
      t.batteryLow = low;
      changed = true;
      if (low) this.bus.emit('sensor.battery_low', { ...base, battery: t.battery });
    }
    if (r.action !== undefined) {
      const panic = t.device.panicActions.includes(r.action);
      this.bus.emit('button.pressed', { source: this.source, sensorId: t.device.id, name: t.device.name, action: r.action, panic });
    }
    if (changed) this.opts.persist(t.device.id, { open: t.open, tamper: t.tamper, batteryLow: t.batteryLow });
    this.bus.emit('sensor.seen', {
      ...base,
      linkquality: r.linkquality ?? null,
      battery: t.battery,
      open: t.open,
      tamper: t.tamper,
      batteryLow: t.batteryLow,
    });
  }

  /** Zigbee2MQTT's own view of the device (it pings mains devices and times out battery ones). */
  availability(sensorId: string, online: boolean): void {
    const t = this.tracked.get(sensorId);
    if (!t) return;
    if (online) {
      this.markAlive(t);
      return;
    }
    if (!t.online) return;
    t.online = false;
    this.bus.emit('sensor.offline', { source: this.source, ...sensorRef(t.device), reason: 'unavailable' });
  }

  /** Sensors silent for longer than their check-in interval go offline (once, until heard again). */
  checkSilent(): void {
    const now = this.opts.now();
    for (const t of this.tracked.values()) {
      if (!t.online || now - t.lastSeen <= t.device.checkInSeconds * 1000) continue;
      t.online = false;
      this.opts.log.info(
        { sensor: t.device.id, silentSeconds: Math.round((now - t.lastSeen) / 1000) },
        'sensor silent past its check-in interval',
      );
      this.bus.emit('sensor.offline', { source: this.source, ...sensorRef(t.device), reason: 'silent' });
    }
  }

  private markAlive(t: Tracked): void {
    t.lastSeen = this.opts.now();
    if (t.online) return;
    t.online = true;
    this.bus.emit('sensor.online', { source: this.source, ...sensorRef(t.device) });
  }
}
