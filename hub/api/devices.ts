/**
 * Devices the installer sets up. They live in the hub's database (the installer edits them from
 * the UI); the config file may seed them. Plugins read them through `DeviceRegistry`.
 */
import type { SensorKind } from './events.js';

export interface Zigbee2MqttSource {
  type: 'zigbee2mqtt';
  /** The device's friendly name: messages arrive on `<baseTopic>/<friendlyName>`. */
  friendlyName: string;
}

export interface GenericMqttSource {
  type: 'generic';
  topic: string;
  /** Dotted path into a JSON payload (`state.contact`); absent means the raw payload is the value. */
  jsonPath: string | null;
  openValues: string[];
  closedValues: string[];
}

export interface SensorDevice {
  id: string;
  name: string;
  location: string;
  kind: SensorKind;
  /** An entry route gets the entry delay when armed; others trigger at once. */
  entryRoute: boolean;
  /** Perimeter sensors (doors, windows, gates) are watched in armed_home as well as armed_away. */
  perimeter: boolean;
  smartwater: { marked: boolean; kitCode: string | null };
  source: Zigbee2MqttSource | GenericMqttSource;
  /** A sensor silent for longer than this is reported offline. */
  checkInSeconds: number;
  /** For buttons: which `action` values mean panic. */
  panicActions: string[];
  /** Cameras that watch this sensor's entry point (video confirmation). */
  cameras: string[];
  enabled: boolean;
}

export interface Zone {
  name: string;
  /** Polygon in 0-1 frame coordinates. */
  points: Array<[number, number]>;
}

export interface CameraDetectSettings {
  enabled: boolean;
  fps: number;
  width: number;
  height: number;
  minScore: number;
  /** A track counts as a person when the median of its recent scores passes this. */
  threshold: number;
  minArea: number;
  maxArea: number;
  zones: Zone[];
  masks: Array<Array<[number, number]>>;
  /** Zones a person must stand in (bottom-centre of the box) to alert, clip or confirm; empty: anywhere, never confirms. */
  requiredZones: string[];
}

export interface CameraRecordSettings {
  preRollSeconds: number;
  postRollSeconds: number;
  continuous: boolean;
  /** The installer set this camera to record sound (recorded only once the owner also agrees). */
  audio: boolean;
}

export interface OnvifCameraSource {
  type: 'onvif';
  host: string;
  port: number;
  username: string;
  /** Stored apart from the settings (device_secrets); never logged, never returned by the API. */
  password: string;
}

export interface RtspCameraSource {
  type: 'rtsp';
  /** Without user info: the credentials are kept apart (below). */
  mainUrl: string;
  subUrl: string | null;
  snapshotUrl: string | null;
  /** For the RTSP streams and the snapshot URL alike ('' when the camera has none). */
  username: string;
  /** Stored apart from the settings (device_secrets); never logged, never returned by the API. */
  password: string;
}

/** A camera source as the API shows it: no password, only whether one is stored. */
export type PublicCameraSource = (Omit<OnvifCameraSource, 'password'> | Omit<RtspCameraSource, 'password'>) & { hasPassword: boolean };

/** A camera as the API returns it (GET /api/devices, /api/cameras). */
export interface PublicCameraDevice extends Omit<CameraDevice, 'source'> {
  source: PublicCameraSource;
}

export interface CameraDevice {
  id: string;
  name: string;
  kind: 'doorbell' | 'camera';
  source: OnvifCameraSource | RtspCameraSource;
  detect: CameraDetectSettings;
  record: CameraRecordSettings;
  enabled: boolean;
}
