/**
 * The evidence package layout, shared by the exporter and `sanctuary verify`. Everything a
 * verifier needs is inside the zip; nothing here needs the hub.
 */
import type { ClockSyncState } from './clock-sync.js';

export const MANIFEST_FORMAT = 'sanctuary-evidence/1';
export const FILES = {
  manifest: 'manifest.json',
  signature: 'manifest.sig',
  signatureBin: 'manifest.sig.bin',
  publicKey: 'hub-public-key.pem',
  custody: 'custody.json',
  sums: 'SHA256SUMS',
  readme: 'README.txt',
} as const;

export interface ManifestFile {
  path: string;
  kind: 'clip' | 'snapshot' | 'custody';
  sha256: string;
  size: number;
  clipId?: string;
  cameraId?: string;
  cameraName?: string;
  trigger?: string;
  /** Wall-clock start and end of the footage by the hub's clock (ms since the epoch and ISO 8601 UTC). */
  startTs?: number;
  endTs?: number;
  start?: string;
  end?: string;
  /** A clip is the camera's own stream copied without re-encoding: the native master copy. */
  masterCopy?: boolean;
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

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  exportId: string;
  createdAt: string;
  hub: {
    id: string;
    software: string;
    algorithm: 'ed25519';
    publicKeyPem: string;
    /** SHA-256 (hex) of the DER SubjectPublicKeyInfo of the public key. */
    fingerprint: string;
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
    decision: 'approved' | 'partial';
    decidedAt: string | null;
    decisionNote: string | null;
  };
  clock: ClockSyncState;
  files: ManifestFile[];
  events: ManifestEvent[];
  smartwater: SmartWaterEntry[];
  custody: { path: string; fromSeq: number; toSeq: number };
}

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

export function readmeText(m: Manifest): string {
  return `SANCTUARY EVIDENCE PACKAGE
==========================

Crime reference: ${m.request.crimeReference}
Requested by:    ${m.request.officerName} (${m.request.officerId}), ${m.request.force}
Time window:     ${m.request.from} to ${m.request.to} (UTC, hub clock)
Exported:        ${m.createdAt}
Hub id:          ${m.hub.id}
Hub key fingerprint (SHA-256 of the public key, DER):
  ${m.hub.fingerprint}
Hub clock:       ${m.clock.state}${m.clock.offsetMs === null ? '' : `, offset ${m.clock.offsetMs} ms`} (${m.clock.detail})

What is in here
---------------
clips/          the camera's own recordings, bit-for-bit (native master copy, never re-encoded)
snapshots/      still images taken with the clips
manifest.json   what was exported: every file's SHA-256 and size, camera, start and end time,
                the hub's clock state, the sensor and detection events in the window, and the
                SmartWater kit codes of the entry points involved
manifest.sig    Ed25519 signature of manifest.json by the hub's key (base64);
manifest.sig.bin  the same signature as raw bytes (for openssl)
hub-public-key.pem  the hub's public key
custody.json    the hub's hash-chained audit entries about this evidence (chain of custody)
SHA256SUMS      SHA-256 of every other file in the package

Any processed copy (re-encoded, redacted, with a burned-in timestamp) is a working copy and must
be named as such; the files in clips/ are the master copy.

How to verify
-------------
1. With the Sanctuary tool (Node.js 20, no hub needed):
     sanctuary verify <this-package.zip> --fingerprint ${m.hub.fingerprint}
   It checks every file hash, the signature and every link of the custody chain, and names
   anything that fails.

2. With standard tools, after unzipping:
     sha256sum -c SHA256SUMS
     openssl pkeyutl -verify -pubin -inkey hub-public-key.pem -rawin -in manifest.json -sigfile manifest.sig.bin
     openssl pkey -pubin -in hub-public-key.pem -outform DER | sha256sum
   The first must print OK for every file, the second "Signature Verified Successfully", and the
   third must print the fingerprint above. Confirm that fingerprint with the victim's hub (shown
   in its settings and at GET /api/identity) or with the fingerprint recorded when the hub was
   installed: a package re-signed with another key shows a different fingerprint.
   Each file's SHA-256 must also equal the one listed for it in manifest.json.

3. The custody chain (custody.json): for each entry, SHA-256 of the canonical JSON of
   {action, actor, prevHash, seq, subject, ts} (keys sorted, no whitespace) is its "hash", and
   each entry's "prevHash" is the "hash" of the entry before it.
`;
}
