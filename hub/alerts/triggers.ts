/**
 * Which hub events become alerts. Panic and duress need no confirmation; an intrusion becomes an
 * alert only once confirmed (hub/confirmation); tamper covers sensor and camera tamper and a
 * camera going offline; power or link loss comes from health components and from the power
 * monitor (mains lost, backup battery low). Restores close them.
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../api/errors.js';
import type { Disposer, EventMap } from '../api/events.js';
import type { HubCore } from '../core.js';
import type { AlertsConfig } from './config.js';
import type { Outbox, RaiseInput } from './outbox.js';

/** The alert each alarm event raises (used live, and to catch up on one a kill left without its alert). */
export const ALARM_ALERTS: { [K in 'panic' | 'duress' | 'intrusion.confirmed']: (e: EventMap[K]) => RaiseInput } = {
  panic: (e) => ({
    kind: 'panic',
    silent: !e.loud,
    phase: 'alarm',
    zone: null,
    text: `Panic alarm (${e.origin})`,
    correlationId: e.correlationId,
  }),
  duress: (e) => ({
    kind: 'duress',
    phase: 'alarm',
    zone: null,
    text: 'Duress: alarm disarmed under threat',
    correlationId: e.correlationId,
  }),
  'intrusion.confirmed': (e) => ({
    kind: 'intrusion',
    phase: 'alarm',
    zone: e.triggers.find((t) => !t.startsWith('camera:')) ?? e.triggers[0] ?? null,
    text: `Confirmed intrusion (${e.how === 'video' ? 'video confirmed' : 'two detectors'}): ${e.triggers.join(', ')}`,
    correlationId: e.correlationId,
  }),
};
export type AlarmEvent = keyof typeof ALARM_ALERTS;
/** The alarms that need no condition to end: each event of these is one alert. */
export const ALARM_EVENTS = Object.keys(ALARM_ALERTS) as AlarmEvent[];

export function wireTriggers(core: HubCore, outbox: Outbox, config: AlertsConfig): Disposer[] {
  const { bus, log } = core;
  // Returned to the bus, so what waits for the listeners (an MQTT ack) waits for the alert row.
  const raise = (input: RaiseInput): Promise<void> =>
    outbox.raise(input).then(
      () => undefined,
      (err: unknown) => {
        // The alert could not even be written: this is the worst failure the module can have.
        log.error({ kind: input.kind, phase: input.phase, zone: input.zone, err: describeError(err) }, 'could not raise alert');
        core.health.set('alerts', 'failed', `could not record a ${input.kind} alert: ${describeError(err)}`);
      },
    );
  const offs: Disposer[] = [];
  offs.push(bus.on('panic', 'alerts', (e) => raise(ALARM_ALERTS.panic(e))));
  offs.push(bus.on('duress', 'alerts', (e) => raise(ALARM_ALERTS.duress(e))));
  offs.push(bus.on('intrusion.confirmed', 'alerts', (e) => raise(ALARM_ALERTS['intrusion.confirmed'](e))));
  offs.push(
    bus.on('sensor.tamper', 'alerts', (e) =>
      raise({
        kind: 'tamper',
        phase: e.active ? 'alarm' : 'restore',
        zone: e.sensorId,
        text: `${e.name} (${e.location}) ${e.active ? 'tampered with' : 'tamper cleared'}`,
        correlationId: e.correlationId,
      }),
    ),
  );
  offs.push(
    bus.on('camera.tamper', 'alerts', (e) =>
      raise({
        kind: 'tamper',
        phase: e.active ? 'alarm' : 'restore',
        zone: e.cameraId,
        text: `Camera ${e.cameraId} ${e.active ? 'tampered with' : 'tamper cleared'}`,
        correlationId: e.correlationId,
      }),
    ),
  );
  offs.push(
    bus.on('camera.offline', 'alerts', (e) =>
      raise({
        kind: 'tamper',
        phase: 'alarm',
        zone: e.cameraId,
        text: `Camera ${e.cameraId} offline: ${e.reason}`,
        correlationId: e.correlationId,
      }),
    ),
  );
  offs.push(
    bus.on('camera.online', 'alerts', (e) =>
      raise({
        kind: 'tamper',
        phase: 'restore',
        zone: e.cameraId,
        text: `Camera ${e.cameraId} back online`,
        correlationId: e.correlationId,
      }),
    ),
  );
  const watched = new Set(config.linkLossComponents);
  offs.push(
    bus.on('health.changed', 'alerts', (e) => {
      if (!watched.has(e.component)) return;
      if (e.status === 'failed' || e.status === 'degraded') {
        raise({
          kind: 'link_loss',
          phase: 'alarm',
          zone: e.component,
          text: `Hub ${e.component} lost: ${e.message}`,
          correlationId: e.correlationId,
        });
      } else if (e.status === 'ok') {
        raise({
          kind: 'link_loss',
          phase: 'restore',
          zone: e.component,
          text: `Hub ${e.component} back: ${e.message}`,
          correlationId: e.correlationId,
        });
      }
    }),
  );
  // Opening/closing reports: CL when the alarm is set (armed, after any exit delay), OP when it is
  // unset. A disarm with the duress PIN is this same disarm (its own correlation id, not silent):
  // the report looks like every other one, and the duress alarm is a separate alert the policy
  // routes on its own. Whether any destination takes them is the policy's (consent, default off).
  offs.push(
    bus.on('alarm.state_changed', 'alerts', (e) => {
      const armed = e.to === 'armed_home' || e.to === 'armed_away';
      const wasArmed = e.from === 'armed_home' || e.from === 'armed_away' || e.from === 'entry_delay' || e.from === 'triggered';
      if (armed && (e.from === 'disarmed' || e.from === 'arming'))
        raise({
          kind: 'open_close',
          phase: 'alarm',
          zone: 'closing',
          text: `Alarm set (${e.to === 'armed_home' ? 'home' : 'away'})`,
          correlationId: e.correlationId,
        });
      else if (e.to === 'disarmed' && wasArmed)
        raise({ kind: 'open_close', phase: 'alarm', zone: 'opening', text: 'Alarm unset', correlationId: e.correlationId });
    }),
  );
  offs.push(bus.on('clip.saved', 'alerts', (e) => outbox.clips.add(e)));
  // Mains and backup battery as a power-aware plugin reports them: AC loss and low battery go to
  // the ARC as "power or link loss" (zones `power` and `battery`), each restored when it clears.
  offs.push(
    core.services.power.onChange('alerts', (source, state, previous) => {
      const correlationId = randomUUID();
      const wasOff = previous?.mains === 'off';
      if (state.mains === 'off' && !wasOff) {
        raise({
          kind: 'link_loss',
          phase: 'alarm',
          zone: 'power',
          text: `Hub mains power lost (${source}): ${state.detail}`,
          correlationId,
        });
      } else if (state.mains === 'on' && wasOff) {
        raise({
          kind: 'link_loss',
          phase: 'restore',
          zone: 'power',
          text: `Hub mains power back (${source}): ${state.detail}`,
          correlationId,
        });
      }
      const wasLow = previous?.battery === 'low';
      if (state.battery === 'low' && !wasLow) {
        raise({
          kind: 'link_loss',
          phase: 'alarm',
          zone: 'battery',
          text: `Hub backup battery low (${source}): ${state.detail}`,
          correlationId,
        });
      } else if (state.battery !== 'low' && wasLow) {
        raise({
          kind: 'link_loss',
          phase: 'restore',
          zone: 'battery',
          text: `Hub backup battery restored (${source}): ${state.detail}`,
          correlationId,
        });
      }
    }),
  );
  return offs;
}
