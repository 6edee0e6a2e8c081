/**
 * The advocate's incident log: a self-contained, printable HTML timeline of events the owner
 * chose, with snapshots inlined (no external requests, so it prints to PDF offline and can be
 * attached to a protection-order application as it is).
 */
import type { StoredEvent } from '../events/event-log.js';

export interface TimelineSnapshot {
  /** The original image file's bytes as a data: URI (unaltered: not resized or annotated). */
  dataUri: string;
  sha256: string;
  /** The clip it was taken from, and the moment it shows (hub arrival time), when known. */
  clipId: string | null;
  showsTs: number | null;
  /**
   * `original`: the picture exactly as the camera's frame was decoded (evidence). `annotated`: a
   * working copy with a box drawn on it (snapshots of older hub versions), not what the camera saw.
   */
  kind?: 'original' | 'annotated';
}

export interface TimelineItem {
  event: StoredEvent;
  snapshot: TimelineSnapshot | null;
}

/** "14/03/2025, 21:00:00 GMT" in the home's zone, beside the UTC time. */
export function localTime(ts: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(ts));
}

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A plain-language line for each fact, the way it would be read out in court. */
export function describeEvent(e: StoredEvent): string {
  const p = e.payload as unknown as Record<string, unknown>;
  const where = p.name ? `${p.name}${p.location ? ` (${p.location})` : ''}` : String(p.sensorId ?? p.cameraId ?? '');
  switch (e.name) {
    case 'sensor.opened':
      return `${where} opened`;
    case 'sensor.closed':
      return `${where} closed`;
    case 'sensor.tamper':
      return `${where}: tamper ${p.active ? 'detected' : 'cleared'}`;
    case 'person.detected': {
      const zones = Array.isArray(p.zones) && p.zones.length > 0 ? ` in zone ${p.zones.join(', ')}` : '';
      return `Person seen on camera ${p.cameraId}${zones} (score ${Number(p.score).toFixed(2)}, track ${p.trackId})`;
    }
    case 'person.snapshot': {
      const o = p.original as { sha256?: string } | undefined;
      const a = p.annotated as { sha256?: string } | null | undefined;
      return `Picture of track ${p.trackId} on camera ${p.cameraId}: the original frame, unaltered (PNG, SHA-256 ${o?.sha256 ?? '?'})${
        a ? `; a separate working copy with the box drawn, not evidence (JPEG, SHA-256 ${a.sha256 ?? '?'})` : ''
      }`;
    }
    case 'person.left':
      return `Person left the view of camera ${p.cameraId} after ${Math.round(Number(p.durationMs) / 1000)} s`;
    case 'camera.doorbell':
      return `Doorbell pressed (camera ${p.cameraId})`;
    case 'clip.saved':
      return `Video clip recorded on camera ${p.cameraId} (${new Date(Number(p.startTs)).toISOString()} to ${new Date(Number(p.endTs)).toISOString()}), SHA-256 ${p.sha256}`;
    case 'alarm.triggered':
      return `Alarm triggered: ${p.reason}`;
    case 'alarm.state_changed':
      return `Alarm ${p.from} -> ${p.to} (${p.reason})`;
    case 'panic':
      return 'Panic alarm raised';
    case 'smartwater.used':
      return `SmartWater spray used${p.note ? `: ${p.note}` : ''}`;
    case 'intrusion.confirmed': {
      const v = p.video as { cameraId?: string; zone?: string; trackId?: string; score?: number; sensorId?: string } | undefined;
      if (v)
        return `Intrusion confirmed by video: a person (track ${v.trackId}, score ${Number(v.score).toFixed(2)}) in the required zone ${v.zone} of camera ${v.cameraId}, which watches ${v.sensorId}`;
      return `Intrusion confirmed (${p.how === 'video' ? 'by video' : 'by two detectors'})`;
    }
    case 'evidence.marked':
      return `Marked as evidence: ${p.reason}`;
    default:
      return e.name;
  }
}

export function renderIncidentLog(input: {
  id: string;
  title: string;
  homeName: string;
  createdAt: number;
  createdBy: string;
  hubFingerprint: string | null;
  timeZone: string;
  items: TimelineItem[];
}): string {
  const utc = (ts: number) => `${new Date(ts).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  const picture = (s: TimelineSnapshot, seq: number) =>
    `<figure><img src="${esc(s.dataUri)}" alt="snapshot for event ${seq}">
        <figcaption>Snapshot${s.showsTs === null ? '' : ` showing ${esc(localTime(s.showsTs, input.timeZone))} (${esc(utc(s.showsTs))})`},
        ${s.kind === 'annotated' ? 'a working copy with the box drawn by the hub (not the original frame)' : 'the original image file unaltered'}, SHA-256 ${esc(s.sha256)}${s.clipId ? `, from clip ${esc(s.clipId)}` : ''}</figcaption></figure>`;
  const rows = input.items
    .map(
      ({ event, snapshot }) => `
      <tr>
        <td class="time">${esc(localTime(event.ts, input.timeZone))}<div class="ref">${esc(utc(event.ts))}</div></td>
        <td>${esc(describeEvent(event))}<div class="ref">event #${event.seq} · ${esc(event.name)} · ${esc(event.source)}</div>
        ${snapshot ? picture(snapshot, event.seq) : ''}</td>
      </tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>
  body { font: 12pt/1.4 Georgia, "Times New Roman", serif; color: #111; margin: 2rem auto; max-width: 50rem; padding: 0 1rem; }
  h1 { font-size: 18pt; margin-bottom: .2rem; }
  .meta { color: #444; font-size: 10pt; margin-bottom: 1.5rem; }
  table { width: 100%; border-collapse: collapse; }
  td { border-top: 1px solid #bbb; padding: .5rem .4rem; vertical-align: top; }
  td.time { white-space: nowrap; width: 13rem; font-family: monospace; font-size: 10pt; }
  figure { margin: .4rem 0 0; }
  figcaption { color: #444; font-size: 9pt; word-break: break-all; }
  .ref { color: #666; font-size: 9pt; }
  img { display: block; max-width: 100%; max-height: 12cm; margin-top: .4rem; border: 1px solid #999; }
  footer { margin-top: 2rem; font-size: 9pt; color: #444; }
  @media print {
    body { margin: 0; max-width: none; }
    tr { page-break-inside: avoid; }
    @page { size: A4; margin: 18mm 15mm; }
  }
</style>
</head>
<body>
<h1>${esc(input.title)}</h1>
<div class="meta">Incident log from the ${esc(input.homeName)} home-security hub · ${input.items.length} event(s) ·
prepared ${esc(new Date(input.createdAt).toISOString())} by ${esc(input.createdBy)}</div>
<table>${rows}
</table>
<footer>Times are the hub's clock when it received each event or picture (arrival time), shown in the home's
time zone (${esc(input.timeZone)}) and in UTC. Each event's number refers to the hub's event log; video clips are
identified by their SHA-256 and can be released to police as a signed evidence package.
<p><strong>Integrity.</strong> The source file of this printout (incident log ${esc(input.id)}, an HTML file) is signed
by the hub's Ed25519 key${input.hubFingerprint ? `, fingerprint ${esc(input.hubFingerprint)} (hub id ${esc(input.hubFingerprint.slice(0, 16))})` : ''}.
The hub gives the file, its SHA-256 and its signature (incident-log.html, incident-log.html.sig, hub-public-key.pem).
To check a copy: <code>sha256sum incident-log.html</code> must print the SHA-256 the hub lists for this log, and
<code>openssl pkeyutl -verify -pubin -inkey hub-public-key.pem -rawin -in incident-log.html -sigfile incident-log.html.sig</code>
must print "Signature Verified Successfully"; <code>openssl pkey -pubin -in hub-public-key.pem -outform DER | sha256sum</code>
must print the fingerprint above.</p></footer>
</body>
</html>
`;
}
