/**
 * The evidence package layout, shared by the exporter and `sanctuary verify`. Everything a
 * verifier needs is inside the zip; nothing here needs the hub. One signed statement covers
 * the lot: manifest.json (RFC 8785 canonical JSON) lists every other file with its SHA-256 and
 * size, and manifest.sig is the hub's Ed25519 signature of manifest.json's exact bytes.
 */
import type { ClockSyncState } from './clock-sync.js';

export const MANIFEST_FORMAT = 'sanctuary-evidence/2';
export const FILES = {
  manifest: 'manifest.json',
  signature: 'manifest.sig',
  signatureBin: 'manifest.sig.bin',
  publicKey: 'hub-public-key.pem',
  custody: 'custody.json',
  sums: 'SHA256SUMS',
  readme: 'README.txt',
} as const;
/** The only files the manifest cannot list: itself and its signature. */
export const UNLISTED: readonly string[] = [FILES.manifest, FILES.signature, FILES.signatureBin];

export type FileKind = 'recording' | 'clip' | 'snapshot' | 'working-copy' | 'custody' | 'readme' | 'public-key' | 'checksums';

export interface ManifestFile {
  path: string;
  kind: FileKind;
  sha256: string;
  size: number;
  clipId?: string;
  cameraId?: string;
  cameraName?: string;
  trigger?: string;
  /** Start and end of the footage as the hub received it (ms since the epoch and ISO 8601 UTC). */
  startTs?: number;
  endTs?: number;
  start?: string;
  end?: string;
  /** Recordings and clips: the camera's stream copied without re-encoding (remuxed). */
  masterCopy?: boolean;
  /** Recordings and clips: the file carries the camera's sound (AAC) beside its video. */
  sound?: boolean;
  /**
   * Clips: the camera's own clock minus the hub's arrival time while it was recorded (ms), from
   * the camera's RTCP sender reports; null when the camera sent none. A time shown by the camera
   * (on-screen clock) minus this is hub time.
   */
  cameraClockOffsetMs?: number | null;
  /** A snapshot: the moment the picture shows (hub arrival time). */
  showsTs?: number;
  shows?: string;
  /** A working copy: the master it was made from and what was done to it. */
  workingCopyOf?: string;
  processing?: string;
}

export type GapReason = 'camera-offline' | 'retention' | 'outside-buffer';

export interface WindowGap {
  fromTs: number;
  toTs: number;
  from: string;
  to: string;
  reason: GapReason;
  detail: string;
}

/** What the package holds of one requested camera over the requested window. */
export interface ManifestWindow {
  cameraId: string;
  cameraName: string;
  fromTs: number;
  toTs: number;
  from: string;
  to: string;
  /** Milliseconds of the window the recordings cover. */
  coveredMs: number;
  recordings: string[];
  /** Viewing copies with the time burned in (re-encoded: not evidence masters). */
  workingCopies: string[];
  gaps: WindowGap[];
}

export interface ManifestEvent {
  seq: number;
  ts: number;
  time: string;
  name: string;
  source: string;
  correlationId: string;
  payload: unknown;
}

export interface SmartWaterEntry {
  sensorId: string;
  name: string;
  location: string;
  kitCode: string | null;
}

export interface Person {
  userId: string;
  role: string;
  displayName: string;
}

export interface CameraClock {
  cameraId: string;
  /** Camera clock minus hub clock in ms, when the camera reports its time; null when unknown. */
  offsetMs: number | null;
  detail: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  exportId: string;
  createdAt: string;
  hub: {
    /** The first 16 hex digits of the key fingerprint: a hub id cannot be claimed with another key. */
    id: string;
    software: string;
    algorithm: 'ed25519';
    publicKeyPem: string;
    /** SHA-256 (hex) of the DER SubjectPublicKeyInfo of the public key. */
    fingerprint: string;
  };
  home: {
    /** IANA zone of the hub (the home), and its UTC offset when the export was made. */
    timeZone: string;
    utcOffset: string;
  };
  request: {
    id: string;
    force: string;
    officerName: string;
    officerId: string;
    crimeReference: string;
    offence: string;
    reason: string;
    fromTs: number;
    toTs: number;
    from: string;
    to: string;
    cameraIds: string[];
    requestedAt: string;
    requestedBy: Person;
    decision: 'approved' | 'partial';
    decidedAt: string | null;
    approvedBy: Person | null;
    decisionNote: string | null;
  };
  clock: ClockSyncState;
  cameraClocks: CameraClock[];
  /** How times in this package were taken. */
  timeBasis: string;
  /** What was done to the footage on its way into the package. */
  processing: string;
  windows: ManifestWindow[];
  files: ManifestFile[];
  events: ManifestEvent[];
  smartwater: SmartWaterEntry[];
  custody: { path: string; fromSeq: number; toSeq: number; headHash: string };
}

export const TIME_BASIS =
  'Every time in this package is the hub clock at the moment the hub received the footage or event (arrival time), ' +
  'in UTC (ISO 8601, Z). It is not the camera’s own timestamp; see clock and cameraClocks for the offsets known at export.';

export const PROCESSING =
  'Recordings and clips are the camera’s H.264 video stream copied without re-encoding: every video packet is the one the ' +
  'camera sent, but the packets were remuxed (from the hub’s MPEG-TS segments into MP4, creation_time set from the recording ' +
  'start), so the files are not the camera’s own files bit-for-bit. Sound, where recorded (see the Sound section), was encoded once to AAC as it arrived; it is not the camera’s own audio bit-for-bit. Snapshots are single frames decoded ' +
  'from the recording and saved as JPEG. Working copies, if any, are re-encoded with the time burned in and are not evidence masters.';

export const iso = (ts: number): string => new Date(ts).toISOString();

export function sha256Sums(files: Array<{ path: string; sha256: string }>): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
}

/** Parses `sha256sum` output lines ("<hex>  <path>" or "<hex> *<path>"). */
export function parseSha256Sums(text: string): Array<{ path: string; sha256: string }> | null {
  const out: Array<{ path: string; sha256: string }> = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m?.[1] || !m[2]) return null;
    out.push({ sha256: m[1], path: m[2] });
  }
  return out;
}

/** The hub's zone as configured on the system, and its offset from UTC at `ts` ("+01:00"). */
export function homeTimeZone(ts: number, timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): Manifest['home'] {
  const part = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(ts))
    .find((p) => p.type === 'timeZoneName')?.value;
  const offset = part === undefined || part === 'GMT' ? '+00:00' : part.replace(/^GMT/, '');
  return { timeZone, utcOffset: offset };
}
