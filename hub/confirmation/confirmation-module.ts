/**
 * Confirmation (BS 8243): police respond to confirmed alarms. An incident opens when the alarm
 * trips on a sensor (`alarm.triggered` with a sensor cause) while set. It is confirmed by a
 * second, independent detector within the confirmation window: another sensor, or a person on
 * camera. Confirmation is announced once per incident as `intrusion.confirmed`; an unconfirmed
 * trip stays local (the alarm module sounds the siren and tells the victim; nothing goes to the ARC).
 *
 * Video confirmation is strict, because a wrong one sends the police with priority: the person
 * must be seen, within `videoConfirmationSeconds` of the trip, by a camera that the tripped
 * sensor lists as watching its entry point (`sensor.cameras`), with their feet inside one of that
 * camera's required zones (`detect.requiredZones`). A passer-by on the pavement, or a person on a
 * camera that looks elsewhere, confirms nothing. A person already standing in such a zone when
 * the door trips counts at the trip. The record (camera, zone, track, score, box, snapshot id)
 * is part of the `intrusion.confirmed` event, and so of the event log and the evidence.
 */
import type { SensorDevice } from '../api/devices.js';
import type { AlarmState, BoundingBox, Disposer, EventMap, VideoConfirmation } from '../api/events.js';
import type { HubCore, HubModule } from '../core.js';

interface Incident {
  startedAt: number;
  firstSensor: string;
  correlationId: string;
  confirmed: boolean;
}

/** What the module knows of a person track currently in view. */
interface SeenTrack {
  cameraId: string;
  trackId: string;
  zones: string[];
  score: number;
  box: BoundingBox;
  ts: number;
  snapshotId: string | null;
}

const SET_STATES: ReadonlySet<AlarmState> = new Set(['armed_home', 'armed_away', 'entry_delay', 'triggered']);

export class ConfirmationModule implements HubModule {
  readonly name = 'confirmation';
  private state: AlarmState = 'disarmed';
  private incident: Incident | null = null;
  private readonly tracks = new Map<string, SeenTrack>();
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
    const confirm = (i: Incident, how: 'two_detectors' | 'video', second: string, ts: number, video?: VideoConfirmation) => {
      i.confirmed = true;
      log.info({ how, first: i.firstSensor, second, afterMs: ts - i.startedAt, ...(video ?? {}) }, 'intrusion confirmed');
      bus.emit('intrusion.confirmed', {
        source: 'confirmation',
        correlationId: i.correlationId,
        how,
        triggers: [i.firstSensor, second],
        ...(video ? { video } : {}),
      });
    };
    /** A sensor counts as a detector when the alarm would act on it in the current state. */
    const watched = (s: EventMap['sensor.opened']) =>
      this.state === 'triggered' ||
      this.state === 'armed_away' ||
      this.state === 'entry_delay' ||
      (this.state === 'armed_home' && s.perimeter);

    /**
     * The required zone this person stands in on a camera that watches the incident's sensor, or
     * null. Read from the device registry at the moment of the decision (the installer may edit).
     */
    const confirmingZone = (sensor: SensorDevice | undefined, t: SeenTrack): string | null => {
      if (!sensor?.cameras.includes(t.cameraId)) return null;
      const required = core.devices.camera(t.cameraId)?.detect.requiredZones ?? [];
      return t.zones.find((z) => required.includes(z)) ?? null;
    };
    /** Video-confirm the live incident with this track if it qualifies. */
    const tryVideo = (t: SeenTrack, ts: number) => {
      const i = live(ts);
      if (!i || !SET_STATES.has(this.state)) return;
      if (ts - i.startedAt > videoMs) return;
      const zone = confirmingZone(core.devices.sensor(i.firstSensor), t);
      if (!zone) {
        log.debug({ camera: t.cameraId, track: t.trackId, zones: t.zones, sensor: i.firstSensor }, 'person seen, but not a confirmation');
        return;
      }
      confirm(i, 'video', `camera:${t.cameraId}`, ts, {
        cameraId: t.cameraId,
        zone,
        trackId: t.trackId,
        score: t.score,
        box: t.box,
        seenTs: t.ts,
        sensorId: i.firstSensor,
        snapshotId: t.snapshotId,
      });
    };
    const key = (cameraId: string, trackId: string) => `${cameraId}\u0000${trackId}`;
    /** Remembers where a track was last seen (a person event) and returns it. */
    const seen = (e: Omit<SeenTrack, 'snapshotId'>, snapshotId: string | null): SeenTrack => {
      const t: SeenTrack = { cameraId: e.cameraId, trackId: e.trackId, zones: e.zones, score: e.score, box: e.box, ts: e.ts, snapshotId };
      this.tracks.set(key(t.cameraId, t.trackId), t);
      return t;
    };

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
        // Somebody already standing in a watching camera's required zone at the moment of the trip.
        for (const t of this.tracks.values()) tryVideo(t, e.ts);
      }),
      bus.on('sensor.opened', 'confirmation', (e) => {
        const i = live(e.ts);
        if (i && e.sensorId !== i.firstSensor && SET_STATES.has(this.state) && watched(e)) confirm(i, 'two_detectors', e.sensorId, e.ts);
      }),
      bus.on('person.detected', 'confirmation', (e) => {
        tryVideo(seen(e, e.snapshotId ?? null), e.ts);
      }),
      bus.on('person.updated', 'confirmation', (e) => {
        const t = seen(e, this.tracks.get(key(e.cameraId, e.trackId))?.snapshotId ?? null);
        if (e.entered.length > 0) tryVideo(t, e.ts);
      }),
      bus.on('person.left', 'confirmation', (e) => {
        this.tracks.delete(key(e.cameraId, e.trackId));
      }),
      bus.on('camera.offline', 'confirmation', (e) => {
        for (const [k, t] of this.tracks) if (t.cameraId === e.cameraId) this.tracks.delete(k);
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    this.tracks.clear();
  }
}
