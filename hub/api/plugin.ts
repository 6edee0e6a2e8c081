/**
 * The plugin contract. A plugin is an integration with the outside world (a camera family, MQTT
 * sensors, an alarm receiving centre) or a detector. Constructors do nothing; `start` receives
 * everything the plugin may use; `stop` releases every timer, socket, listener and child process.
 */
import type { ZodType } from 'zod';
import type { CameraDevice, OnvifCameraSource, SensorDevice } from './devices.js';
import type { AlertKind, Disposer, EventBus, HealthStatus } from './events.js';

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface HealthReporter {
  /** Report this component's health; shows in /api/health and as a `health.changed` event. */
  report(status: HealthStatus, message: string, details?: Record<string, unknown>): void;
}

/** A small persistent key-value store scoped to one plugin (SQLite underneath). */
export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface MqttLink {
  readonly connected: boolean;
  /** The broker in words, without credentials ("the hub's own broker", "mqtt://10.0.0.2:1883"). */
  readonly brokerLabel: string;
  /** True when the broker is on another machine: what is published there leaves the hub. */
  readonly offMachine: boolean;
  publish(topic: string, payload: string | Buffer, options?: { retain?: boolean; qos?: 0 | 1 | 2 }): Promise<void>;
  /**
   * Subscribe to a topic filter; the handler gets every matching message. `retain` is true for a
   * retained message replayed by the broker (a stored state, not something that just happened).
   */
  subscribe(filter: string, owner: string, handler: (topic: string, payload: Buffer, info: { retain: boolean }) => void): Promise<Disposer>;
}

export interface DeviceRegistry {
  sensors(): SensorDevice[];
  sensor(id: string): SensorDevice | undefined;
  cameras(): CameraDevice[];
  camera(id: string): CameraDevice | undefined;
  /** Called after any device is added, changed or removed. */
  onChange(owner: string, listener: () => void): Disposer;
}

/** A camera clock further than this from the hub's is reported in health (set the camera to NTP). */
export const CAMERA_CLOCK_DRIFT_WARN_MS = 3000;

/** A video source resolved by a camera plugin (ONVIF or plain RTSP) for the recorder to ingest. */
export interface CameraStreams {
  cameraId: string;
  mainUrl: string;
  subUrl: string | null;
  snapshotUrl: string | null;
  /** Credentials kept apart from the URLs so the recorder can redact them from every log line. */
  username: string | null;
  password: string | null;
}

export interface DiscoveredCamera {
  address: string;
  port: number;
  name: string;
  hardware: string | null;
  xaddr: string;
}

export interface CameraRegistry {
  /** Hand a resolved stream set to the recorder. Returns a disposer that stops ingest. */
  attach(streams: CameraStreams): Disposer;
  /** A camera plugin offers discovery to the installer (ONVIF WS-Discovery). */
  provideDiscovery(owner: string, discover: (timeoutMs: number) => Promise<DiscoveredCamera[]>): Disposer;
  /**
   * A camera plugin resolves sources the hub cannot read itself (ONVIF) into stream URLs, so the
   * installer's "test camera" works before the camera is saved. Reject with a HubError
   * (HUB_ERR_CAMERA_AUTH / _UNREACHABLE / _NOT_VIDEO) the installer can act on.
   */
  provideResolver(type: OnvifCameraSource['type'], owner: string, resolve: CameraSourceResolver): Disposer;
}

export type CameraSourceResolver = (source: OnvifCameraSource, timeoutMs: number) => Promise<Omit<CameraStreams, 'cameraId'>>;

export interface Frame {
  cameraId: string;
  /** Hub clock (ms) when the frame's data arrived from the camera (arrival time). */
  ts: number;
  /**
   * The camera's own clock (ms) for the frame, from its RTCP sender reports: camera time. Null
   * or absent until the camera has sent one (or when it never does).
   */
  cameraTs?: number | null;
  width: number;
  height: number;
  format: 'rgb24' | 'gray';
  data: Uint8Array;
}

export interface FrameSource {
  /** Low-resolution raw frames at the camera's detect rate, from the same ffmpeg that records. */
  subscribe(cameraId: string, owner: string, listener: (frame: Frame) => void): Disposer;
}

/** An alert ready to leave the home: what the consent gate allowed, nothing more. */
export interface OutboundAlert {
  alertId: string;
  kind: AlertKind;
  /** `restore` closes a condition (e.g. tamper restored). Link tests are the channel's own business. */
  phase: 'alarm' | 'restore';
  createdAt: number;
  zone: string | null;
  /** Present only when the victim consented to sharing the location. */
  location: string | null;
  /** The home's coordinates (from `home.coordinates`), under the same consent as `location`. */
  coordinates: { lat: number; lon: number } | null;
  /** Present only when the victim consented to sharing a snapshot / a clip link. */
  snapshotUrl: string | null;
  clipUrl: string | null;
  text: string;
}

/**
 * What the far end made of a message, for the installer's test signal and the health line:
 * `no_answer` (nothing came back), `wrong_key` (it could not read us, or we could not read it),
 * `clock` (it refused our timestamp), `refused` (it answered but would not take the message),
 * `garbled` (an answer that is not a valid frame), `acknowledged`.
 */
export type DeliveryOutcome = 'acknowledged' | 'no_answer' | 'wrong_key' | 'clock' | 'refused' | 'garbled';

export type DeliveryResult =
  | { ok: true; acknowledged: boolean; detail: string; outcome?: DeliveryOutcome }
  | { ok: false; retryable: boolean; detail: string; outcome?: DeliveryOutcome };

export interface AlertChannel {
  id: string;
  /**
   * Police channels (an ARC, a police webhook) follow the victim's per-kind police consent; every
   * other channel has its own consent. Either way nothing is sent to a channel the owner has not
   * switched on for that destination (hub/policy).
   */
  police: boolean;
  /**
   * Where it goes, in words the owner can check ("https://example.org/hook", "ARC 10.0.0.5:5000
   * account 1234"). Shown on "Where your information goes"; if it changes, the owner's consent
   * for the old destination no longer applies. Never contains a secret.
   */
  destination: string;
  /** True when the destination is on another machine (anything not loopback). */
  offMachine: boolean;
  deliver(alert: OutboundAlert, signal: AbortSignal): Promise<DeliveryResult>;
  /** Installer's "send test signal". */
  test?(signal: AbortSignal): Promise<DeliveryResult>;
}

export interface AlertChannels {
  register(channel: AlertChannel): Disposer;
  /**
   * The channel has just proved its far end is reachable (a link test or any message was
   * acknowledged): alerts waiting out a backoff for it are sent now, in order.
   */
  linkUp(channelId: string): void;
}

export interface Clock {
  now(): number;
}

/** What a power-aware plugin sees: mains present or not, and the backup battery's state. */
export interface PowerState {
  mains: 'on' | 'off';
  /** `none`: no backup battery (the hub dies with the mains). */
  battery: 'ok' | 'low' | 'none';
  /** Free text for the installer ("UPS HAT: 3.61 V"), never secrets. */
  detail: string;
}

/**
 * Power sources as the hub learns of them: a GPIO mains-sense input, a UPS HAT, `upower` on a
 * UPS. The plugin that can tell reports each change; the hub tells the ARC (AC loss, low
 * battery) under the victim's consent for "power or link loss".
 */
export interface PowerMonitor {
  report(source: string, state: PowerState): void;
  /** Every change of any source's state; `previous` is null for a source's first report. */
  onChange(owner: string, listener: (source: string, state: PowerState, previous: PowerState | null) => void): Disposer;
}

/**
 * Keeping pictures and footage a plugin makes (a detector's snapshots): sealed to the owner's key
 * at write, never plaintext on the card. The hash returned is the plaintext's (the evidence).
 */
export interface FootageSealer {
  /** Seals `data` to `<path>.age` (never over an existing file); returns that path. */
  seal(data: Uint8Array, path: string): Promise<{ path: string; sha256: string; size: number }>;
}

export interface HubServices {
  mqtt: MqttLink;
  devices: DeviceRegistry;
  cameras: CameraRegistry;
  frames: FrameSource;
  alerts: AlertChannels;
  clock: Clock;
  power: PowerMonitor;
  footage: FootageSealer;
}

export interface PluginContext<C> {
  bus: EventBus;
  log: Logger;
  config: Readonly<C>;
  store: KeyValueStore;
  signal: AbortSignal;
  health: HealthReporter;
  services: HubServices;
  /** A folder this plugin may write to (inside the hub's data folder). */
  dataDir: string;
}

export interface HubPlugin<C = unknown> {
  readonly id: string;
  /** Validates this plugin's section of the config file (`plugins.<id>`). */
  readonly configSchema: ZodType<C>;
  start(ctx: PluginContext<C>): Promise<void>;
  stop(): Promise<void>;
}

export type PluginFactory = () => HubPlugin<unknown>;
