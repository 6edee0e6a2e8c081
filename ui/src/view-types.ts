/**
 * Shapes of API answers the screens read. The hub's modules own these; the UI may take only
 * type declarations out of hub/api, so the answers it relies on are written down here.
 */
import type { AlarmState, AlertKind, AlertStatus, ArmMode, SensorKind } from '../../hub/api/events.js';

export interface AlarmSensor {
  id: string;
  name: string;
  location: string;
  kind: SensorKind;
  entryRoute: boolean;
  perimeter: boolean;
  smartwater: { marked: boolean; kitCode: string | null };
  open: boolean | null;
  tamper: boolean;
  batteryLow: boolean;
  battery: number | null;
  online: boolean;
  lastChange: number | null;
  /** Armed over while open: not watched until it closes. */
  bypassed: boolean;
}

export interface AlarmStatus {
  state: AlarmState;
  mode: ArmMode | null;
  delayEndsAt: number | null;
  triggeredBy: { name: string; location?: string } | string | null;
  sirenOn: boolean;
  sensors: AlarmSensor[];
}

export interface AlertView {
  id: string;
  kind: AlertKind;
  status: AlertStatus;
  createdAt: number;
  /** One line from the hub: "police notified 02:13:05, acknowledged 02:13:05". */
  summary?: string;
  silent?: boolean;
  askExpiresAt?: number | null;
  phase?: 'alarm' | 'restore';
  deliveries?: Array<{ channel: string; police: boolean; status: string }>;
}

export interface CameraView {
  id: string;
  name: string;
  kind: 'doorbell' | 'camera';
  status?: { online: boolean; recording: boolean; lastError: { code: string; message: string } | null };
}

export interface ClipView {
  id: string;
  cameraId: string;
  trigger: string;
  startTs: number;
  endTs: number;
  size: number;
  sha256: string;
  hasSnapshot?: boolean;
  cameraName?: string;
}

export interface HubEventRow {
  seq: number;
  name: string;
  ts: number;
  payload?: Record<string, unknown>;
  event?: Record<string, unknown>;
}

export type RequestStatus = 'pending' | 'approved' | 'partial' | 'refused';

export interface PoliceRequestView {
  id: string;
  force: string;
  officerName: string;
  officerId: string;
  crimeReference: string;
  offence: string;
  fromTs: number;
  toTs: number;
  cameraIds: string[];
  reason: string;
  status: RequestStatus;
  approvedClipIds: string[] | null;
  decisionNote: string | null;
  decidedAt: number | null;
  createdAt: number;
  /** The evidence package made on approval (police see state and progress only). */
  export?: ExportView | null;
  /** Police only: how many clips a part approval released. */
  clipCount?: number | null;
}

export interface ExportView {
  state: 'running' | 'ready' | 'failed';
  phase: string;
  done: number;
  total: number;
  error?: string | null;
  /** SHA-256 of the whole zip (also sent as X-Content-SHA256 with the download). */
  sha256?: string | null;
  size?: number | null;
}

/** What recorded footage the hub holds for a request's window, per camera (owner, before deciding). */
export interface FootageWindowView {
  cameraId: string;
  cameraName: string;
  windowMs: number;
  recordedMs: number;
  gaps: Array<{ fromTs: number; toTs: number; reason: 'camera-offline' | 'retention' | 'outside-buffer'; detail: string }>;
}

export interface IncidentLogView {
  id: string;
  title: string;
  createdAt: number;
  eventCount: number;
  sha256?: string;
  advocateIds?: string[];
}
