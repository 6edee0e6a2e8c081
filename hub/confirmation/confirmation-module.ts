/**
 * Confirmation (BS 8243): police respond to confirmed alarms. An incident opens when the alarm
 * trips on a sensor (`alarm.triggered` with a sensor cause) while set. It is confirmed by a
 * second, independent detector within the confirmation window: another sensor, or a person on
 * camera (video confirmation when within `videoConfirmationSeconds` of the trip). Confirmation
 * is announced once per incident as `intrusion.confirmed`; an unconfirmed trip stays local (the
 * alarm module sounds the siren and tells the victim; nothing goes to the ARC).
 */
import type { AlarmState, Disposer, EventMap } from '../api/events.js';
import type { HubCore, HubModule } from '../core.js';

interface Incident {
  startedAt: number;
  firstSensor: string;
  correlationId: string;
  confirmed: boolean;
}

const SET_STATES: ReadonlySet<AlarmState> = new Set(['armed_home', 'armed_away', 'entry_delay', 'triggered']);

export class ConfirmationModule implements HubModule {
  readonly name = 'confirmation';
  private state: AlarmState = 'disarmed';
  private incident: Incident | null = null;
  private offs: Disposer[] = [];

  async start(core: HubCore): Promise<void> {
    const { bus, config, log } = core;
    const windowMs = config.alerts.confirmationWindowMinutes * 60_000;
    const videoMs = config.alerts.videoConfirmationSeconds * 1000;
    const last = await core.db.get<{ payload: string }>(
      "SELECT payload FROM events WHERE name = 'alarm.state_changed' ORDER BY seq DESC LIMIT 1",
    );
    if (last) this.state = (JSON.parse(last.payload) as { to: AlarmState }).to;

    const live = (now: number): Incident | null => {
      const i = this.incident;
      if (!i || i.confirmed || now - i.startedAt > windowMs) return null;
      return i;
    };
    const confirm = (i: Incident, how: 'two_detectors' | 'video', second: string, ts: number) => {
      i.confirmed = true;
      log.info({ how, first: i.firstSensor, second, afterMs: ts - i.startedAt }, 'intrusion confirmed');
      bus.emit('intrusion.confirmed', { source: 'confirmation', correlationId: i.correlationId, how, triggers: [i.firstSensor, second] });
    };
    /** A sensor counts as a detector when the alarm would act on it in the current state. */
    const watched = (s: EventMap['sensor.opened']) =>
      this.state === 'triggered' ||
      this.state === 'armed_away' ||
      this.state === 'entry_delay' ||
      (this.state === 'armed_home' && s.perimeter);

    this.offs.push(
      bus.on('alarm.state_changed', 'confirmation', (e) => {
        this.state = e.to;
        if (!SET_STATES.has(e.to)) this.incident = null;
      }),
      bus.on('alarm.triggered', 'confirmation', (e) => {
        if (!e.cause) return; // panic or a manual trigger: not an intrusion detector
        const i = this.incident;
        if (i && e.ts - i.startedAt <= windowMs) {
          // Within an incident: a different sensor confirms it; one already confirmed stays one incident.
          if (!i.confirmed && e.cause.sensorId !== i.firstSensor) confirm(i, 'two_detectors', e.cause.sensorId, e.ts);
          return;
        }
        this.incident = { startedAt: e.ts, firstSensor: e.cause.sensorId, correlationId: e.correlationId, confirmed: false };
        log.info({ sensor: e.cause.sensorId }, 'alarm tripped: waiting for a second detector before telling anyone outside');
      }),
      bus.on('sensor.opened', 'confirmation', (e) => {
        const i = live(e.ts);
        if (i && e.sensorId !== i.firstSensor && SET_STATES.has(this.state) && watched(e)) confirm(i, 'two_detectors', e.sensorId, e.ts);
      }),
      bus.on('person.detected', 'confirmation', (e) => {
        const i = live(e.ts);
        if (!i || !SET_STATES.has(this.state)) return;
        confirm(i, e.ts - i.startedAt <= videoMs ? 'video' : 'two_detectors', `camera:${e.cameraId}`, e.ts);
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
  }
}
