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
import { type CameraSecret, publicCamera, splitCameraSeed } from './camera-secrets.js';

export { publicCamera };

/** A camera from a seed with no stored password (tests and benchmarks build devices this way). */
export function cameraFromSeed(seed: CameraSeed): CameraDevice {
  return splitCameraSeed(seed, null).device;
}

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

export class HubDeviceRegistry implements DeviceRegistry {
  private sensorMap = new Map<string, SensorDevice>();
  private cameraMap = new Map<string, CameraDevice>();
  private readonly listeners = new Map<symbol, { owner: string; fn: () => void }>();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    const rows = await this.db.all<{ id: string; type: string; body: string; password: string | null }>(
      'SELECT d.id, d.type, d.body, s.password FROM devices d LEFT JOIN device_secrets s ON s.device_id = d.id',
    );
    for (const r of rows) {
      try {
        if (r.type === 'sensor') {
          this.sensorMap.set(r.id, sensorFromSeed(sensorSeedSchema.parse(JSON.parse(r.body))));
          continue;
        }
        const seed = cameraSeedSchema.parse(JSON.parse(r.body));
        const stored: CameraSecret | null = r.password === null ? null : { password: r.password };
        const { device, legacySecret } = splitCameraSeed(seed, stored);
        // Settings saved before passwords were kept apart: move the password out once.
        if (legacySecret) {
          await this.saveCamera(device);
          this.log.info({ device: r.id }, 'camera password moved out of the device settings');
        }
        this.cameraMap.set(r.id, device);
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

  /**
   * Save a camera. A password left out (or sent back as the old mask) keeps the stored one; user
   * info in the URLs is taken out of them and stored as the camera's credentials.
   */
  async upsertCamera(input: unknown): Promise<CameraDevice> {
    const seed = cameraSeedSchema.parse(input);
    const existing = this.cameraMap.get(seed.id);
    const { device } = splitCameraSeed(seed, existing ? { password: existing.source.password, type: existing.source.type } : null);
    await this.saveCamera(device);
    this.cameraMap.set(seed.id, device);
    this.changed();
    return device;
  }

  private async saveCamera(device: CameraDevice): Promise<void> {
    const { password, ...rest } = device.source;
    const now = Date.now();
    await this.db.transaction(async () => {
      await this.save(device.id, 'camera', { ...device, source: rest });
      if (password) {
        await this.db.run(
          'INSERT INTO device_secrets (device_id, password, updated_at) VALUES (?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET password = excluded.password, updated_at = excluded.updated_at',
          [device.id, password, now],
        );
      } else await this.db.run('DELETE FROM device_secrets WHERE device_id = ?', [device.id]);
    });
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.db.transaction(async () => {
      await this.db.run('DELETE FROM device_secrets WHERE device_id = ?', [id]);
      return this.db.run('DELETE FROM devices WHERE id = ?', [id]);
    });
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
