/**
 * Which hub events become notifications on the owner's devices: a doorbell press, a person at
 * the door (once per visit, then a cooldown per camera), a door or window opened while the alarm
 * is on, the alarm going off, a camera or sensor going offline, tampering, a police request
 * waiting for her, and every "ask me first" alert. Each one asks the policy first
 * (`owner_notification`): a silent panic or a duress disarm, and anything correlated with one,
 * never becomes a notification, because someone else may be holding the phone.
 */

import type { AlarmModule } from '../alarm/module.js';
import type { AlertsModule } from '../alerts/alerts-module.js';
import { describeError } from '../api/errors.js';
import type { Disposer, EventMap } from '../api/events.js';
import type { HubCore } from '../core.js';
import type { SerialQueue } from '../storage/serial-queue.js';
import type { NotifyRequest } from './notifier.js';
import type { PushStore } from './push-store.js';
import { askSpec, SPECS } from './push-texts.js';

/** Alarm states in which an opened door or window is news (not while arming: she is leaving). */
const ARMED: ReadonlySet<string> = new Set(['armed_home', 'armed_away', 'entry_delay', 'triggered']);

export interface TriggerDeps {
  core: HubCore;
  store: PushStore;
  queue: SerialQueue;
  notify(req: NotifyRequest): Promise<number>;
  personCooldownMs: number;
}

export function wirePushTriggers(d: TriggerDeps): Disposer[] {
  const { core } = d;
  const { bus, policy, log } = core;
  const { queue } = d;
  const run = (what: string, fn: () => Promise<unknown>) => {
    queue.run(fn).then(undefined, (err: unknown) => log.error({ what, err: describeError(err) }, 'could not queue a notification'));
  };
  const cameraName = (id: string) => core.devices.camera(id)?.name ?? id;
  const offs: Disposer[] = [];
  const on = <K extends keyof EventMap>(name: K, fn: (e: EventMap[K]) => NotifyRequest | null) => {
    offs.push(
      bus.on(name, 'push', (e) => {
        if (!policy.mayNotify(name, e)) return;
        const req = fn(e);
        if (req) run(name, () => d.notify(req));
      }),
    );
  };

  on('camera.doorbell', (e) => ({
    kind: 'doorbell',
    words: { title: 'Someone rang the doorbell', body: `${cameraName(e.cameraId)}: tap to see who it is` },
    spec: SPECS.doorbell,
    eventTs: e.ts,
  }));

  // A person: once per visit (track), and not again at that camera within the cooldown. The
  // cooldown is kept in SQLite so a restart mid-visit does not notify twice.
  const notified = new Set<string>();
  const person = (e: { ts: number; cameraId: string; trackId: string; zones: string[] }) => {
    const visit = `${e.cameraId}/${e.trackId}`;
    if (notified.has(visit)) return;
    // Zones on the camera: only a person inside one counts as "at the door".
    const zoned = (core.devices.camera(e.cameraId)?.detect.zones.length ?? 0) > 0;
    if (zoned && e.zones.length === 0) return;
    notified.add(visit);
    run('person.detected', async () => {
      const key = `person:${e.cameraId}`;
      const last = await d.store.cooldown(key);
      if (last !== null && e.ts - last < d.personCooldownMs) return 0;
      await d.store.setCooldown(key, e.ts);
      const where = e.zones.length > 0 ? ` (${e.zones.join(', ')})` : '';
      return d.notify({
        kind: 'person',
        words: { title: 'Someone is at the door', body: `${cameraName(e.cameraId)}${where}: tap to see` },
        spec: SPECS.person,
        eventTs: e.ts,
      });
    });
  };
  offs.push(
    bus.on('person.detected', 'push', (e) => {
      if (policy.mayNotify('person.detected', e)) person(e);
    }),
    bus.on('person.updated', 'push', (e) => {
      if (e.entered.length > 0 && policy.mayNotify('person.updated', e)) person(e);
    }),
    bus.on('person.left', 'push', (e) => {
      notified.delete(`${e.cameraId}/${e.trackId}`);
    }),
  );

  on('sensor.opened', (e) => {
    const state = core.module<AlarmModule>('alarm')?.snapshot().state;
    if (!state || !ARMED.has(state)) return null;
    const what = e.kind === 'window' ? 'A window' : e.kind === 'door' ? 'A door' : 'A sensor';
    return {
      kind: 'opened_armed',
      words: { title: `${what} opened while the alarm is on`, body: `${e.name} (${e.location})` },
      spec: SPECS.opened_armed,
      eventTs: e.ts,
    };
  });
  on('alarm.triggered', (e) => ({
    kind: 'alarm',
    words: { title: 'Your alarm is going off', body: e.cause ? `${e.cause.name} (${e.cause.location})` : e.reason },
    spec: SPECS.alarm,
    eventTs: e.ts,
  }));
  on('camera.offline', (e) => ({
    kind: 'camera_offline',
    words: { title: 'A camera went offline', body: `${cameraName(e.cameraId)} stopped sending video` },
    spec: SPECS.camera_offline,
    eventTs: e.ts,
  }));
  on('sensor.offline', (e) => ({
    kind: 'sensor_offline',
    words: { title: 'A sensor stopped reporting', body: `${e.name} (${e.location})` },
    spec: SPECS.sensor_offline,
    eventTs: e.ts,
  }));
  on('sensor.tamper', (e) =>
    e.active
      ? {
          kind: 'tamper',
          words: { title: 'Someone may be tampering with a sensor', body: `${e.name} (${e.location})` },
          spec: SPECS.tamper,
          eventTs: e.ts,
        }
      : null,
  );
  on('camera.tamper', (e) =>
    e.active
      ? {
          kind: 'tamper',
          words: { title: 'Someone may be tampering with a camera', body: cameraName(e.cameraId) },
          spec: SPECS.tamper,
          eventTs: e.ts,
        }
      : null,
  );
  on('request.created', (e) => ({
    kind: 'police_request',
    words: { title: 'The police asked for footage', body: 'Nothing is shared until you decide: tap to look at the request' },
    spec: SPECS.police_request,
    eventTs: e.ts,
  }));

  // "Ask me first": the question goes to her phone with send / don't send buttons.
  const askTimeoutSeconds = core.config.alerts.askTimeoutSeconds;
  offs.push(
    bus.on('alert.raised', 'push', (e) => {
      if (e.status !== 'awaiting_consent') return;
      if (!policy.mayNotifyAlert({ kind: e.kind, silent: e.silent, correlationId: e.correlationId })) return;
      run('alert.raised', async () => {
        const alert = await core.module<AlertsModule>('alerts')?.outbox?.store.alert(e.alertId);
        if (!alert) return 0;
        return d.notify({
          kind: 'ask',
          words: {
            title: 'Tell the police?',
            body: `${alert.text}. Send or don't send within ${askTimeoutSeconds} s; if you do not answer, nothing is sent.`,
          },
          spec: askSpec(askTimeoutSeconds),
          eventTs: e.ts,
          // The answer counts while the alert still waits (its clock restarts on delivery); the
          // token cannot outlive that by more than a minute.
          ask: { alertId: e.alertId, answerBy: e.ts + 2 * askTimeoutSeconds * 1000 + 60_000 },
        });
      });
    }),
  );
  offs.push(() => {
    notified.clear();
  });
  return offs;
}
