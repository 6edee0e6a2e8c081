/**
 * Retained MQTT state topics, Home Assistant style, for local automations and Homebridge:
 * `<base>/alarm/state` (disarmed|arming|armed_home|armed_away|pending|triggered) and
 * `<base>/sensor/<id>/state` (JSON). They carry only state an onlooker can see anyway (never a
 * duress or a covert panic: a duress disarm is the disarm everyone saw). The policy decides
 * whether they may be published at all: on a broker on another machine only once the owner has
 * switched that destination on.
 */
import { describeError } from '../api/errors.js';
import type { AlarmState } from '../api/events.js';
import type { Logger, MqttLink } from '../api/plugin.js';
import type { VisibilityPolicy } from '../policy/policy.js';
import type { SensorStatus } from './sensor-view.js';

/** Home Assistant's alarm_control_panel states. */
export function haState(state: AlarmState): string {
  return state === 'entry_delay' ? 'pending' : state;
}

export class StatePublisher {
  private refusedLogged = false;

  constructor(
    private readonly mqtt: MqttLink,
    private readonly baseTopic: string,
    private readonly log: Logger,
    private readonly policy: VisibilityPolicy,
  ) {}

  alarm(state: AlarmState): void {
    if (!this.allowed('alarm.state_changed', {})) return;
    this.send(`${this.baseTopic}/alarm/state`, haState(state));
  }

  sensor(s: SensorStatus): void {
    if (!this.allowed('sensor.seen', {})) return;
    this.send(
      `${this.baseTopic}/sensor/${s.id}/state`,
      JSON.stringify({
        id: s.id,
        name: s.name,
        location: s.location,
        kind: s.kind,
        open: s.open,
        tamper: s.tamper,
        batteryLow: s.batteryLow,
        battery: s.battery,
        online: s.online,
        lastChange: s.lastChange,
      }),
    );
  }

  private allowed(name: 'alarm.state_changed' | 'sensor.seen', payload: object): boolean {
    if (this.policy.mayPublishState(this.mqtt, name, payload)) return true;
    if (!this.refusedLogged) {
      this.refusedLogged = true;
      this.log.info({ broker: this.mqtt.brokerLabel }, 'state topics not published: the owner has not switched this broker on');
    }
    return false;
  }

  private send(topic: string, payload: string): void {
    // While the broker is away the MQTT client queues the message and sends it on reconnect.
    this.mqtt.publish(topic, payload, { retain: true, qos: 1 }).then(undefined, (err: unknown) => {
      this.log.warn({ topic, err: describeError(err) }, 'could not publish alarm state on MQTT');
    });
  }
}
