/**
 * The one typed event map of the hub. Event names state past facts. Every payload is a plain,
 * serialisable object (it goes over MQTT, into SQLite and across worker threads unchanged) and
 * carries `ts` (ms since the epoch, hub clock), `source` (who said it: a plugin id, `alarm`,
 * `api`, ...) and `correlationId` (ties a chain of events to the fact that started it).
 */

export interface EventBase {
  ts: number;
  source: string;
  correlationId: string;
}

export type SensorKind = 'door' | 'window' | 'gate' | 'motion' | 'button' | 'other';

/** What the hub knows about the sensor at the moment of an event (so listeners need no lookup). */
export interface SensorRef {
  sensorId: string;
  name: string;
  location: string;
  kind: SensorKind;
  entryRoute: boolean;
  perimeter: boolean;
  smartwaterKitCode: string | null;
}

export type AlarmState = 'disarmed' | 'arming' | 'armed_home' | 'armed_away' | 'entry_delay' | 'triggered';
export type ArmMode = 'armed_home' | 'armed_away';

export interface BoundingBox {
  /** Normalised 0-1 coordinates in the frame: left, top, right, bottom. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The person that video-confirmed an intrusion: seen in a required zone of a camera that watches the tripped sensor. */
export interface VideoConfirmation {
  cameraId: string;
  zone: string;
  trackId: string;
  score: number;
  box: BoundingBox;
  /** When the person was seen in the zone (frame time). */
  seenTs: number;
  /** The sensor whose entry point the camera watches. */
  sensorId: string;
  /** The `person.snapshot` of that track, when there is one. */
  snapshotId: string | null;
}

export type ClipTrigger = 'person' | 'sensor' | 'doorbell' | 'panic' | 'api' | 'motion' | 'alarm' | 'smartwater';

export type AlertKind = 'panic' | 'duress' | 'intrusion' | 'tamper' | 'link_loss' | 'open_close';
export type AlertStatus = 'awaiting_consent' | 'queued' | 'sending' | 'sent' | 'acknowledged' | 'failed' | 'refused' | 'expired';

export type HealthStatus = 'ok' | 'degraded' | 'failed' | 'starting' | 'stopped';

export interface EventMap {
  // sensors (plugins/mqtt-sensors)
  'sensor.opened': EventBase & SensorRef;
  'sensor.closed': EventBase & SensorRef;
  'sensor.tamper': EventBase & SensorRef & { active: boolean };
  'sensor.battery_low': EventBase & SensorRef & { battery: number | null };
  'sensor.offline': EventBase & SensorRef & { reason: 'silent' | 'unavailable' };
  'sensor.online': EventBase & SensorRef;
  'sensor.seen': EventBase &
    SensorRef & {
      linkquality: number | null;
      battery: number | null;
      /** The sensor's known state after this report (null: not known yet). */
      open?: boolean | null;
      tamper?: boolean | null;
      batteryLow?: boolean | null;
    };
  'button.pressed': EventBase & {
    sensorId: string;
    name: string;
    action: string;
    /** The action is one of the button's `panicActions` (the alarm turns it into a `panic`). */
    panic?: boolean;
  };

  // cameras (plugins/onvif-camera, hub/recorder)
  'camera.online': EventBase & { cameraId: string };
  'camera.offline': EventBase & {
    cameraId: string;
    reason: string;
    errorCode: string;
  };
  'camera.doorbell': EventBase & { cameraId: string };
  /** The camera's clock read over ONVIF (GetSystemDateAndTime): camera UTC minus hub time. */
  'camera.clock': EventBase & { cameraId: string; offsetMs: number; uncertaintyMs: number; ntp: boolean; method: 'onvif' };
  'camera.motion': EventBase & { cameraId: string; active: boolean };
  'camera.tamper': EventBase & { cameraId: string; active: boolean };
  'segment.written': EventBase & {
    cameraId: string;
    path: string;
    startTs: number;
    endTs: number;
    size: number;
  };
  'clip.saved': EventBase & {
    clipId: string;
    cameraId: string;
    trigger: ClipTrigger;
    startTs: number;
    endTs: number;
    size: number;
    sha256: string;
    snapshotSha256: string | null;
  };
  'storage.pressure': EventBase & {
    freeBytes: number;
    budgetBytes: number;
    recordingPaused: boolean;
  };

  // detection (detectors/)
  'motion.started': EventBase & { cameraId: string; area: number };
  'motion.stopped': EventBase & { cameraId: string };
  'person.detected': EventBase & {
    cameraId: string;
    trackId: string;
    score: number;
    box: BoundingBox;
    zones: string[];
    /**
     * Always null when the detector emits it now: the event goes out first and the picture follows
     * as `person.snapshot` with the same `snapshotId`. (Older stored events carry a path here.)
     */
    snapshot: string | null;
    /** The id of the `person.snapshot` that will follow (absent when snapshots are off). */
    snapshotId?: string;
  };
  /**
   * The picture of a person event, after it: `original` is the frame exactly as decoded and handed
   * to the detector (lossless PNG, untouched: the evidence); `annotated` is a separate working copy
   * (JPEG) with the box drawn, for people to look at, never evidence.
   */
  'person.snapshot': EventBase & {
    cameraId: string;
    trackId: string;
    snapshotId: string;
    /** The frame's timestamp (what the picture shows). */
    frameTs: number;
    original: { path: string; sha256: string; format: 'png'; width: number; height: number };
    annotated: { path: string; sha256: string; format: 'jpeg'; boxes: BoundingBox[] } | null;
  };
  'person.updated': EventBase & {
    cameraId: string;
    trackId: string;
    score: number;
    box: BoundingBox;
    zones: string[];
    entered: string[];
    left: string[];
  };
  'person.left': EventBase & {
    cameraId: string;
    trackId: string;
    durationMs: number;
    /** Why the track ended: unseen for a while, the camera went offline (frames stopped), or detection stopped. */
    reason?: 'unseen' | 'camera_offline' | 'stopped';
  };

  // alarm (hub/alarm)
  'alarm.state_changed': EventBase & {
    from: AlarmState;
    to: AlarmState;
    mode: ArmMode | null;
    reason: string;
    userId: string | null;
    /** When the current delay (exit or entry) ends, if in one. */
    delayEndsAt: number | null;
  };
  'alarm.triggered': EventBase & { cause: SensorRef | null; reason: string };
  'alarm.pin_rejected': EventBase & {
    attempts: number;
    lockedUntil: number | null;
  };
  'siren.changed': EventBase & { on: boolean; reason: string };
  panic: EventBase & {
    origin: 'api' | 'button' | 'keypad';
    userId: string | null;
    loud: boolean;
  };
  duress: EventBase & { userId: string | null };
  'smartwater.used': EventBase & { userId: string | null; note: string };

  // confirmation, consent and alerts (hub/confirmation, hub/consent, hub/alerts)
  'intrusion.confirmed': EventBase & {
    how: 'two_detectors' | 'video';
    triggers: string[];
    /** For a video confirmation: who was seen where (camera, required zone, track, score). */
    video?: VideoConfirmation;
  };
  'consent.changed': EventBase & { version: number; userId: string };
  'alert.raised': EventBase & {
    alertId: string;
    kind: AlertKind;
    status: AlertStatus;
    /** A silent panic or duress: the visibility policy keeps it off every surface someone nearby could see. */
    silent: boolean;
  };
  'alert.status_changed': EventBase & {
    alertId: string;
    kind: AlertKind;
    silent: boolean;
    channel: string | null;
    status: AlertStatus;
    detail: string;
  };

  // evidence (hub/evidence)
  'evidence.marked': EventBase & {
    fromTs: number;
    toTs: number;
    reason: string;
  };
  'request.created': EventBase & { requestId: string };
  'request.decided': EventBase & {
    requestId: string;
    decision: 'approved' | 'partial' | 'refused';
  };
  'export.progress': EventBase & {
    exportId: string;
    done: number;
    total: number;
    phase: string;
  };

  // hub
  'health.changed': EventBase & {
    component: string;
    status: HealthStatus;
    message: string;
  };
  'hub.started': EventBase & { version: string };
  'hub.stopping': EventBase & { reason: string };
}

export type EventName = keyof EventMap;
export type EventPayload<K extends EventName> = EventMap[K];
/** The payload without the envelope fields: what an emitter supplies. */
export type EventInput<K extends EventName> = Omit<EventMap[K], 'ts' | 'correlationId'> & {
  ts?: number;
  correlationId?: string;
};

export type Disposer = () => void;
export type Listener<K extends EventName> = (event: EventMap[K]) => void | Promise<void>;

export interface EventBus {
  /** Emit an event; the bus fills in `ts` and `correlationId` when missing and returns the full payload. */
  emit<K extends EventName>(name: K, payload: EventInput<K>): EventMap[K];
  /** Subscribe; `owner` names the listener in logs if it throws. Returns a disposer. */
  on<K extends EventName>(name: K, owner: string, listener: Listener<K>): Disposer;
  /** Subscribe to every event (for persistence, the WebSocket feed, MQTT mirroring). */
  onAny(owner: string, listener: (name: EventName, event: EventMap[EventName]) => void | Promise<void>): Disposer;
}
