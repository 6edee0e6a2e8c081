/**
 * The SanctuaryHub dynamic platform: restores cached accessories at once (shown as faulted until
 * the hub answers), keeps the hub's event feed open, re-reads the hub's state on every connect and
 * every `pollSeconds`, and adds or removes accessories to match the hub's devices.
 */
import type { API, DynamicPlatformPlugin, Logging, PlatformAccessory, PlatformConfig } from 'homebridge';
import { CameraAccessory } from './accessories/camera.js';
import { ContactSensorAccessory } from './accessories/contact-sensor.js';
import { type AccessoryRole, accessoryUuid, roleKey, type SanctuaryAccessory, type SanctuaryContext } from './accessories/context.js';
import { SecuritySystemAccessory } from './accessories/security-system.js';
import { describeError, SanctuaryPluginError } from './errors.js';
import { AccessoryCategory } from './hap-constants.js';
import { HubClient } from './hub-client.js';
import { HubFeed } from './hub-feed.js';
import type { HubAlarm, HubAlarmState, HubArmMode, HubCamera, HubSensorKind } from './hub-types.js';
import { PLATFORM_NAME, PLUGIN_NAME, parseConfig, type SanctuaryConfig } from './settings.js';

/** Sensor kinds shown as a ContactSensor. */
const CONTACT_KINDS: readonly HubSensorKind[] = ['door', 'window', 'gate'];

/**
 * Hub events Apple Home is told about. Anything else is ignored, on purpose: `panic`, `duress`,
 * `alert.*` and `alarm.triggered` must never reach a phone that the abuser may share a Home with.
 */
const HANDLED_EVENTS = new Set([
  'alarm.state_changed',
  'sensor.opened',
  'sensor.closed',
  'sensor.tamper',
  'sensor.battery_low',
  'sensor.offline',
  'sensor.online',
  'sensor.seen',
  'camera.doorbell',
  'person.detected',
  'person.updated',
  'person.left',
]);

type Wrapper = SecuritySystemAccessory | ContactSensorAccessory | CameraAccessory;

export class SanctuaryPlatform implements DynamicPlatformPlugin {
  private readonly config: SanctuaryConfig | null = null;
  private readonly hub: HubClient | null = null;
  private feed: HubFeed | null = null;
  /** Every accessory Homebridge restored or we registered, by UUID. */
  private readonly accessories = new Map<string, SanctuaryAccessory>();
  private readonly wrappers = new Map<string, Wrapper>();
  private pollTimer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  /** Devices an event named that we did not show: each prompts one early refresh, not one per event. */
  private readonly unknownDevices = new Set<string>();
  private hubDown = true;
  private camerasForbiddenLogged = false;

  constructor(
    private readonly log: Logging,
    rawConfig: PlatformConfig,
    private readonly api: API,
  ) {
    try {
      this.config = parseConfig(rawConfig);
    } catch (err) {
      this.log.error(`not starting: ${describeError(err)}`);
      return;
    }
    this.hub = new HubClient(this.config.hubUrl, this.config.token, this.config.requestTimeoutMs);
    api.on('didFinishLaunching', () => this.start());
    api.on('shutdown', () => this.stop());
  }

  /** Homebridge hands back each cached accessory before `didFinishLaunching`. */
  configureAccessory(accessory: PlatformAccessory): void {
    this.accessories.set(accessory.UUID, accessory as SanctuaryAccessory);
  }

  private start(): void {
    const { config, hub } = this;
    if (!config || !hub) return;
    // Cached accessories answer HomeKit at once, marked faulted, even while the hub is down.
    for (const accessory of this.accessories.values()) {
      const role = accessory.context.sanctuary;
      if (role) this.wrapperFor(role, accessory);
    }
    this.feed = new HubFeed(
      { hubUrl: config.hubUrl, headers: hub.authHeaders(), initialDelayMs: config.reconnectInitialMs, maxDelayMs: config.reconnectMaxMs },
      {
        onOpen: () => this.sync(),
        onEvent: (name, event) => this.onHubEvent(name, event),
        onDown: () => this.setHubDown(true),
      },
      this.log,
    );
    this.feed.start();
    this.pollTimer = setInterval(() => this.refresh('periodic refresh'), config.pollSeconds * 1000);
  }

  private refresh(why: string): void {
    if (!this.feed?.connected) return;
    this.sync().then(
      () => undefined,
      (err: unknown) => this.log.warn(`${why} from the hub failed: ${describeError(err)}`),
    );
  }

  /** An event named a device we do not show yet (the installer just added it): re-read soon, once. */
  private resyncSoon(deviceKey: string): void {
    if (this.unknownDevices.has(deviceKey)) return;
    this.unknownDevices.add(deviceKey);
    if (this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      this.refresh('refresh after a new device');
    }, 500);
  }

  private stop(): void {
    this.feed?.stop();
    this.feed = null;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.resyncTimer = null;
    for (const w of this.wrappers.values()) if (w instanceof CameraAccessory) w.dispose();
  }

  /** Re-read the alarm, the sensors and the cameras; make the accessories match. */
  private async sync(): Promise<void> {
    const hub = this.hub!;
    const [alarm, cameras] = await Promise.all([hub.alarm(), this.readCameras(hub)]);
    this.reconcile(alarm, cameras);
    this.setHubDown(false);
  }

  /** Cameras need the `sensors:read` scope; without it camera accessories are left as they are. */
  private async readCameras(hub: HubClient): Promise<HubCamera[] | null> {
    try {
      return await hub.cameras();
    } catch (err) {
      if (!(err instanceof SanctuaryPluginError) || err.code !== 'SANCTUARY_HB_FORBIDDEN') throw err;
      if (!this.camerasForbiddenLogged) {
        this.log.warn(
          `cannot list the hub's cameras (${err.message}): the doorbell and "person at the door" need a token with "sensors:read"`,
        );
        this.camerasForbiddenLogged = true;
      }
      return null;
    }
  }

  private reconcile(alarm: HubAlarm, cameras: HubCamera[] | null): void {
    const config = this.config!;
    const wanted = new Set<string>();

    const alarmRole: AccessoryRole = { type: 'alarm' };
    wanted.add(accessoryUuid(this.api, alarmRole));
    const security = this.ensure(alarmRole, config.name, AccessoryCategory.SECURITY_SYSTEM);
    if (security instanceof SecuritySystemAccessory) security.applyAlarm(alarm.state, alarm.mode);

    if (config.contactSensors) {
      for (const s of alarm.sensors) {
        if (!CONTACT_KINDS.includes(s.kind)) continue;
        const role: AccessoryRole = { type: 'sensor', id: s.id };
        wanted.add(accessoryUuid(this.api, role));
        const w = this.ensure(role, s.name, AccessoryCategory.SENSOR, s.kind);
        if (w instanceof ContactSensorAccessory) w.applyStatus(s);
      }
    }

    if (cameras === null) {
      for (const [uuid, a] of this.accessories) if (a.context.sanctuary?.type === 'camera') wanted.add(uuid);
    } else {
      for (const c of cameras) {
        if (!c.enabled || !(config.personSensor || (config.doorbell && c.kind === 'doorbell'))) continue;
        const role: AccessoryRole = { type: 'camera', id: c.id };
        wanted.add(accessoryUuid(this.api, role));
        this.ensure(role, c.name, AccessoryCategory.OTHER, c.kind);
      }
    }

    const stale = [...this.accessories.values()].filter((a) => !wanted.has(a.UUID));
    if (stale.length > 0) {
      this.log.info(`removing accessories the hub no longer has: ${stale.map((a) => a.displayName).join(', ')}`);
      for (const a of stale) {
        const w = this.wrappers.get(a.UUID);
        if (w instanceof CameraAccessory) w.dispose();
        this.wrappers.delete(a.UUID);
        this.accessories.delete(a.UUID);
      }
      this.api.unregisterPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, stale);
    }
  }

  /** The wrapper for a role, registering a new accessory with Homebridge when there is none. */
  private ensure(role: AccessoryRole, name: string, category: number, kind?: string): Wrapper {
    const uuid = accessoryUuid(this.api, role);
    let accessory = this.accessories.get(uuid);
    if (!accessory) {
      accessory = new this.api.platformAccessory<SanctuaryContext>(name, uuid, category);
      accessory.context.sanctuary = role;
      if (kind) accessory.context.kind = kind;
      const w = this.wrapperFor(role, accessory);
      this.accessories.set(uuid, accessory);
      this.api.registerPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, [accessory]);
      this.log.info(`added "${name}" (${roleKey(role)})`);
      return w;
    }
    if (kind && accessory.context.kind !== kind) accessory.context.kind = kind;
    return this.wrapperFor(role, accessory);
  }

  private wrapperFor(role: AccessoryRole, accessory: SanctuaryAccessory): Wrapper {
    const existing = this.wrappers.get(accessory.UUID);
    if (existing) return existing;
    const config = this.config!;
    const kind = accessory.context.kind ?? 'door';
    let w: Wrapper;
    if (role.type === 'alarm') w = new SecuritySystemAccessory(this.api, accessory, this.hub!, this.log);
    else if (role.type === 'sensor') w = new ContactSensorAccessory(this.api, accessory, { id: role.id, kind });
    else
      w = new CameraAccessory(this.api, accessory, {
        id: role.id,
        doorbell: config.doorbell && kind === 'doorbell',
        personSensor: config.personSensor,
        personTimeoutMs: config.personTimeoutSeconds * 1000,
      });
    w instanceof SecuritySystemAccessory ? w.setFault(this.hubDown) : w.setHubDown(this.hubDown);
    this.wrappers.set(accessory.UUID, w);
    return w;
  }

  private setHubDown(down: boolean): void {
    if (down === this.hubDown) return;
    this.hubDown = down;
    for (const w of this.wrappers.values()) {
      if (w instanceof SecuritySystemAccessory) w.setFault(down);
      else w.setHubDown(down);
    }
  }

  private wrapper<T extends Wrapper>(role: AccessoryRole, type: new (...args: never[]) => T): T | null {
    const w = this.wrappers.get(accessoryUuid(this.api, role));
    return w instanceof type ? w : null;
  }

  private onHubEvent(name: string, event: Record<string, unknown>): void {
    if (!HANDLED_EVENTS.has(name)) return;
    if (name === 'alarm.state_changed') {
      const to = event.to as HubAlarmState;
      const mode = (event.mode ?? null) as HubArmMode | null;
      this.wrapper({ type: 'alarm' }, SecuritySystemAccessory)?.applyAlarm(to, mode);
      return;
    }
    if (name.startsWith('sensor.')) {
      if (typeof event.sensorId !== 'string') return;
      const sensor = this.wrapper({ type: 'sensor', id: event.sensorId }, ContactSensorAccessory);
      if (!sensor) {
        if (this.config!.contactSensors && CONTACT_KINDS.includes(event.kind as HubSensorKind)) this.resyncSoon(`sensor:${event.sensorId}`);
        return;
      }
      if (name === 'sensor.opened') sensor.setOpen(true);
      else if (name === 'sensor.closed') sensor.setOpen(false);
      else if (name === 'sensor.tamper') sensor.setTamper(event.active === true);
      else if (name === 'sensor.battery_low') sensor.setBatteryLow(true);
      else if (name === 'sensor.offline') sensor.setOnline(false);
      else if (name === 'sensor.online') sensor.setOnline(true);
      // A report with a good battery clears "low battery" (the hub raises no event for that).
      else if (name === 'sensor.seen' && event.batteryLow === false) sensor.setBatteryLow(false);
      return;
    }
    if (typeof event.cameraId !== 'string') return;
    const camera = this.wrapper({ type: 'camera', id: event.cameraId }, CameraAccessory);
    if (!camera) {
      this.resyncSoon(`camera:${event.cameraId}`);
      return;
    }
    if (name === 'camera.doorbell') {
      this.log.info(`doorbell pressed (${camera.accessory.displayName})`);
      camera.ring();
    } else if (name === 'person.left') {
      if (typeof event.trackId === 'string') camera.personLeft(event.trackId);
    } else if (typeof event.trackId === 'string') {
      camera.personSeen(event.trackId);
    }
  }
}
