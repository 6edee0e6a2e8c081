/**
 * Sensors and cameras, stored in SQLite (the installer edits them from the UI; the config file can
 * seed them). Reads come from an in-memory copy so hot paths (every MQTT message) never wait on disk.
 */

import type { CameraDevice, SensorDevice } from '../api/devices.js';
import { describeError } from '../api/errors.js';
import type { Disposer } from '../api/events.js';
import type { DeviceRegistry, Logger } from '../api/plugin.js';
import { type CameraSeed, cameraSeedSchema, type SensorSeed, sensorSeedSchema } from '../config/devices-schema.js';
import type { Database } from '../storage/database.js';

export function sensorFromSeed(seed: SensorSeed): SensorDevice {
  return {
    ...seed,
    perimeter: seed.perimeter ?? (seed.kind === 'door' || seed.kind === 'window' || seed.kind === 'gate'),
    smartwater: {
      marked: seed.smartwater.marked,
      kitCode: seed.smartwater.kitCode,
    },
    source: seed.source.type === 'zigbee2mqtt' ? { type: 'zigbee2mqtt', friendlyName: seed.source.friendlyName } : { ...seed.source },
  };
}

export function cameraFromSeed(seed: CameraSeed): CameraDevice {
  return seed as CameraDevice;
}

export class HubDeviceRegistry implements DeviceRegistry {
  private sensorMap = new Map<string, SensorDevice>();
  private cameraMap = new Map<string, CameraDevice>();
  private readonly listeners = new Map<symbol, { owner: string; fn: () => void }>();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    const rows = await this.db.all<{ id: string; type: string; body: string }>('SELECT id, type, body FROM devices');
    for (const r of rows) {
      try {
        if (r.type === 'sensor') this.sensorMap.set(r.id, sensorFromSeed(sensorSeedSchema.parse(JSON.parse(r.body))));
        else this.cameraMap.set(r.id, cameraFromSeed(cameraSeedSchema.parse(JSON.parse(r.body))));
      } catch (err) {
        this.log.error({ device: r.id, err: describeError(err) }, 'stored device is invalid; skipped');
      }
    }
  }

  sensors(): SensorDevice[] {
    return [...this.sensorMap.values()];
  }
  sensor(id: string): SensorDevice | undefined {
    return this.sensorMap.get(id);
  }
  cameras(): CameraDevice[] {
    return [...this.cameraMap.values()];
  }
  camera(id: string): CameraDevice | undefined {
    return this.cameraMap.get(id);
  }

  onChange(owner: string, fn: () => void): Disposer {
    const key = Symbol(owner);
    this.listeners.set(key, { owner, fn });
    return () => {
      this.listeners.delete(key);
    };
  }

  async upsertSensor(input: unknown): Promise<SensorDevice> {
    const seed = sensorSeedSchema.parse(input);
    await this.save(seed.id, 'sensor', seed);
    const device = sensorFromSeed(seed);
    this.sensorMap.set(seed.id, device);
    this.changed();
    return device;
  }

  async upsertCamera(input: unknown): Promise<CameraDevice> {
    const seed = cameraSeedSchema.parse(input);
    await this.save(seed.id, 'camera', seed);
    const device = cameraFromSeed(seed);
    this.cameraMap.set(seed.id, device);
    this.changed();
    return device;
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.db.run('DELETE FROM devices WHERE id = ?', [id]);
    const had = this.sensorMap.delete(id) || this.cameraMap.delete(id);
    if (had) this.changed();
    return r.changes > 0;
  }

  private async save(id: string, type: 'sensor' | 'camera', body: unknown): Promise<void> {
    const now = Date.now();
    await this.db.run(
      'INSERT INTO devices (id, type, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET type = excluded.type, body = excluded.body, updated_at = excluded.updated_at',
      [id, type, JSON.stringify(body), now, now],
    );
  }

  private changed(): void {
    for (const { owner, fn } of this.listeners.values()) {
      try {
        fn();
      } catch (err) {
        this.log.error({ owner, err: describeError(err) }, 'device change listener failed');
      }
    }
  }
}

/** Camera as the API shows it: the password never leaves the hub. */
export function publicCamera(c: CameraDevice): CameraDevice {
  return c.source.type === 'onvif'
    ? {
        ...c,
        source: { ...c.source, password: c.source.password ? '********' : '' },
      }
    : {
        ...c,
        source: {
          ...c.source,
          mainUrl: hidePassword(c.source.mainUrl),
          subUrl: c.source.subUrl ? hidePassword(c.source.subUrl) : null,
        },
      };
}

function hidePassword(url: string): string {
  return url.replace(/^(rtsps?:\/\/[^:/@]+):[^@/]*@/i, '$1:********@');
}
