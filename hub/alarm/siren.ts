/**
 * The siren, over MQTT: a Zigbee2MQTT warning device (`<z2m base>/<device>/set`) or any topic with
 * configured on/off payloads. It always stops by itself after `sirenMaxSeconds`; a Zigbee2MQTT
 * device is also told the duration, so it stops even if the hub is unplugged while it sounds.
 */
import { describeError } from '../api/errors.js';
import type { EventBus } from '../api/events.js';
import type { HealthReporter, Logger, MqttLink } from '../api/plugin.js';
import type { AlarmConfig } from './config.js';

export interface SirenOutput {
  topic: string;
  on(durationSeconds: number): string;
  off(): string;
}

export function sirenOutput(config: AlarmConfig['siren'], z2mBase: string): SirenOutput | null {
  if (config.zigbee2mqttDevice) {
    return {
      topic: `${z2mBase}/${config.zigbee2mqttDevice}/set`,
      on: (duration) => JSON.stringify({ warning: { mode: 'burglar', level: 'very_high', strobe: true, duration } }),
      off: () => JSON.stringify({ warning: { mode: 'stop', level: 'very_high', strobe: false, duration: 0 } }),
    };
  }
  if (config.topic) {
    const { onPayload, offPayload } = config;
    return { topic: config.topic, on: () => onPayload, off: () => offPayload };
  }
  return null;
}

export class Siren {
  private sounding = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly output: SirenOutput | null,
    private readonly mqtt: MqttLink,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly health: HealthReporter,
    private readonly now: () => number,
  ) {
    if (output) health.report('ok', `siren on ${output.topic}`);
    // A home may have no siren (a silent alarm that only alerts); that is a choice, not a fault.
    else health.report('ok', 'no siren configured (alarm.siren): alarms are silent');
  }

  get on(): boolean {
    return this.sounding;
  }

  /** Sound until `until` (ms, hub clock), then stop by itself. */
  start(reason: string, until: number): void {
    const ms = until - this.now();
    if (ms <= 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stop('maximum duration reached'), ms);
    const wasOn = this.sounding;
    this.sounding = true;
    this.send(this.output?.on(Math.ceil(ms / 1000)), 'on');
    if (!wasOn) this.bus.emit('siren.changed', { source: 'alarm', on: true, reason });
  }

  stop(reason: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.sounding) return;
    this.sounding = false;
    this.send(this.output?.off(), 'off');
    this.bus.emit('siren.changed', { source: 'alarm', on: false, reason });
  }

  /** Hub stopping: forget the timer. A Zigbee2MQTT siren stops by its own duration; a restarted hub resumes it. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private send(payload: string | undefined, what: 'on' | 'off'): void {
    const out = this.output;
    if (!out || payload === undefined) return;
    this.mqtt.publish(out.topic, payload, { qos: 1 }).then(
      () => this.health.report('ok', `siren on ${out.topic}`),
      (err: unknown) => {
        this.log.error({ topic: out.topic, what, err: describeError(err) }, 'could not command the siren');
        this.health.report('failed', `siren command failed: ${describeError(err)}`);
      },
    );
  }
}
