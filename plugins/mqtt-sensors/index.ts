/**
 * MQTT door, window, motion and button sensors: Zigbee2MQTT devices (`<base>/<friendly_name>` and
 * `<base>/<friendly_name>/availability`) and generic topics mapped through open/closed values.
 * Sensors come from the hub's device registry; this plugin turns their messages into
 * `sensor.*` and `button.pressed` events. Every message is untrusted: anything that is not what a
 * sensor sends is refused whole, logged (rate-limited) and changes nothing.
 */
import type { Disposer, HubPlugin, PluginContext, SensorDevice } from '../../hub/api/index.js';
import { describeError } from '../../hub/api/index.js';
import { topicMatches } from '../../hub/api/mqtt-topics.js';
import { type MqttSensorsConfig, mqttSensorsConfigSchema } from './config.js';
import { LogThrottle } from './log-throttle.js';
import { type Parsed, parseAvailability, parseGeneric, parseZigbee2Mqtt, preview, type Reading } from './payloads.js';
import { type KnownState, SensorTracker } from './sensor-tracker.js';

type Route = { sensor: SensorDevice; kind: 'z2m' | 'availability' | 'generic' };

/** Unknown Zigbee2MQTT devices (lights, the siren itself) are normal: each is noted once, up to this many. */
const MAX_UNKNOWN_NAMES = 1000;

export class MqttSensorsPlugin implements HubPlugin<MqttSensorsConfig> {
  readonly id = 'mqtt-sensors';
  readonly configSchema = mqttSensorsConfigSchema;
  private ctx: PluginContext<MqttSensorsConfig> | null = null;
  private tracker: SensorTracker | null = null;
  private throttle: LogThrottle | null = null;
  private routes = new Map<string, Route[]>();
  private readonly subs = new Map<string, Disposer>();
  private readonly unknownNames = new Set<string>();
  private offDevices: Disposer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private persisting: Promise<void> = Promise.resolve();
  private resubscribing: Promise<void> = Promise.resolve();
  /** Messages handled (any outcome): the benchmark and health read it. */
  handled = 0;

  async start(ctx: PluginContext<MqttSensorsConfig>): Promise<void> {
    this.ctx = ctx;
    const { config, services } = ctx;
    const now = () => services.clock.now();
    this.throttle = new LogThrottle(ctx.log, config.logBurst, config.logWindowMs, now);
    this.tracker = new SensorTracker(ctx.bus, {
      source: this.id,
      now,
      lowBatteryPercent: config.lowBatteryPercent,
      log: ctx.log,
      persist: (id, state) => this.persist(id, state),
    });
    const stored = new Map<string, KnownState>();
    for (const d of services.devices.sensors()) {
      const s = await ctx.store.get<KnownState>(`state:${d.id}`);
      if (s) stored.set(d.id, s);
    }
    this.rebuild(stored);
    for (const filter of [`${config.baseTopic}/+`, `${config.baseTopic}/+/availability`]) {
      this.subs.set(filter, await services.mqtt.subscribe(filter, this.id, (t, p, info) => this.onMessage(t, p, info.retain)));
    }
    await this.syncExtraSubscriptions();
    this.offDevices = services.devices.onChange(this.id, () => {
      this.rebuild(new Map());
      // Serialised so two quick edits never subscribe the same topic twice; a failure is logged, not lost.
      this.resubscribing = this.resubscribing
        .then(() => this.syncExtraSubscriptions())
        .then(undefined, (err: unknown) => ctx.log.error({ err: describeError(err) }, 'could not subscribe to changed sensor topics'));
    });
    this.timer = setInterval(() => {
      this.tracker?.checkSilent();
      this.throttle?.flush();
    }, config.offlineCheckMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.offDevices?.();
    this.offDevices = null;
    for (const off of this.subs.values()) off();
    this.subs.clear();
    this.throttle?.flush(true);
    await this.resubscribing;
    await this.persisting;
    this.ctx = null;
  }

  /** Messages refused as bad input since start, by kind. */
  refusedCounts(): Record<string, number> {
    return Object.fromEntries(this.throttle?.refused ?? []);
  }

  private sensorCount(): number {
    return new Set([...this.routes.values()].flat().map((r) => r.sensor.id)).size;
  }

  private rebuild(stored: ReadonlyMap<string, KnownState>): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const base = ctx.config.baseTopic;
    const routes = new Map<string, Route[]>();
    const add = (topic: string, route: Route) => routes.set(topic, [...(routes.get(topic) ?? []), route]);
    const enabled = ctx.services.devices.sensors().filter((s) => s.enabled);
    for (const sensor of enabled) {
      if (sensor.source.type === 'zigbee2mqtt') {
        add(`${base}/${sensor.source.friendlyName}`, { sensor, kind: 'z2m' });
        add(`${base}/${sensor.source.friendlyName}/availability`, { sensor, kind: 'availability' });
      } else if (/[#+]/.test(sensor.source.topic)) {
        ctx.log.error(
          { sensor: sensor.id, topic: sensor.source.topic },
          'generic sensor topic must be a plain topic (no + or #); sensor ignored',
        );
      } else {
        add(sensor.source.topic, { sensor, kind: 'generic' });
      }
    }
    this.routes = routes;
    this.tracker?.sync(enabled, stored);
    ctx.health.report('ok', `watching ${this.sensorCount()} sensors`);
  }

  /** Topics outside `<base>/+` (generic sensors, friendly names containing `/`) get their own subscription. */
  private async syncExtraSubscriptions(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const base = ctx.config.baseTopic;
    const covered = (t: string) => topicMatches(`${base}/+`, t) || topicMatches(`${base}/+/availability`, t);
    const wanted = new Set([...this.routes.keys()].filter((t) => !covered(t)));
    for (const [topic, off] of this.subs) {
      if (covered(topic) || wanted.has(topic)) continue;
      off();
      this.subs.delete(topic);
    }
    for (const topic of wanted) {
      if (this.subs.has(topic)) continue;
      this.subs.set(topic, await ctx.services.mqtt.subscribe(topic, this.id, (t, p, info) => this.onMessage(t, p, info.retain)));
    }
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const ctx = this.ctx;
    const throttle = this.throttle;
    const tracker = this.tracker;
    if (!ctx || !throttle || !tracker) return;
    this.handled++;
    if (payload.length > ctx.config.maxPayloadBytes) {
      throttle.warn(
        'too_large',
        { topic: preview(topic, 120), bytes: payload.length, limit: ctx.config.maxPayloadBytes },
        'sensor message refused: too large',
      );
      return;
    }
    const routes = this.routes.get(topic);
    if (!routes) {
      this.unknown(topic);
      return;
    }
    const text = payload.toString('utf8');
    for (const route of routes) {
      const s = route.sensor;
      if (route.kind === 'availability') {
        const r = parseAvailability(text);
        if (r.ok) tracker.availability(s.id, r.value);
        else this.refuse(r, topic, s.id, text);
        continue;
      }
      const r: Parsed<Reading> = s.source.type === 'generic' ? parseGeneric(text, s.source) : parseZigbee2Mqtt(text);
      if (!r.ok) {
        this.refuse(r, topic, s.id, text);
        continue;
      }
      // A retained button action is the broker replaying an old press (Zigbee2MQTT with
      // `retain: true`) after a reconnect: the state it carries counts, the press does not.
      const { action, ...state } = r.value;
      tracker.apply(s.id, retained || action === undefined ? state : { ...state, action });
    }
  }

  private refuse(r: { problem: string; detail: string }, topic: string, sensor: string, text: string): void {
    this.throttle?.warn(
      r.problem,
      { topic: preview(topic, 120), sensor, detail: r.detail, payload: preview(text) },
      `sensor message refused: ${r.problem.replace(/_/g, ' ')}`,
    );
  }

  private unknown(topic: string): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const rest = topic.slice(ctx.config.baseTopic.length + 1);
    const name = rest.endsWith('/availability') ? rest.slice(0, -'/availability'.length) : rest;
    // Zigbee2MQTT's own bridge topics are not devices.
    if (name === 'bridge' || this.unknownNames.has(name)) return;
    if (this.unknownNames.size < MAX_UNKNOWN_NAMES) {
      this.unknownNames.add(name);
      ctx.log.info(
        { device: preview(name, 80), topic: preview(topic, 120) },
        'ignoring Zigbee2MQTT device that is not a configured sensor',
      );
    } else {
      this.throttle?.warn('unknown_device', { topic: preview(topic, 120) }, 'sensor message refused: unknown device');
    }
  }

  private persist(sensorId: string, state: KnownState): void {
    const ctx = this.ctx;
    if (!ctx) return;
    this.persisting = this.persisting.then(() =>
      ctx.store.set(`state:${sensorId}`, state).then(undefined, (err: unknown) => {
        ctx.log.error({ sensor: sensorId, err: describeError(err) }, 'could not store sensor state');
      }),
    );
  }
}

export function mqttSensorsPlugin(): MqttSensorsPlugin {
  return new MqttSensorsPlugin();
}
