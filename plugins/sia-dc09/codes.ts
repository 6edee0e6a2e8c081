/**
 * What each hub alert is called on the wire: SIA event codes (SIA-DCS) and Contact ID event
 * numbers (ADM-CID), for the alarm and for its restore, plus the extended data blocks that carry
 * location and a verification link (only when the victim consented: the outbox leaves the fields
 * null otherwise, and this file adds nothing the alert does not carry).
 */
import type { AlertKind, OutboundAlert } from '../../hub/api/index.js';

export interface CodePair {
  sia: string;
  siaRestore: string;
  cid: number;
  /** Contact ID qualifier 3 even for the alarm phase (a closing report is 401 with qualifier 3). */
  cidQualifierRestore?: boolean;
}

export const ALERT_CODES: Record<AlertKind, CodePair> = {
  panic: { sia: 'PA', siaRestore: 'PR', cid: 120 },
  duress: { sia: 'HA', siaRestore: 'HR', cid: 121 },
  intrusion: { sia: 'BA', siaRestore: 'BR', cid: 130 },
  tamper: { sia: 'TA', siaRestore: 'TR', cid: 137 },
  // Communications trouble; `power` and `battery` zone alerts use AC and battery trouble (below).
  link_loss: { sia: 'YC', siaRestore: 'YK', cid: 350 },
  // Zone `opening` (disarm); `closing` (arm) uses CLOSING below.
  open_close: { sia: 'OP', siaRestore: 'OP', cid: 401 },
};

/** AC (mains) trouble and restore; Contact ID 301 AC loss. */
const POWER: CodePair = { sia: 'AT', siaRestore: 'AR', cid: 301 };
/** System battery trouble and restore; Contact ID 302 low system battery. */
const BATTERY: CodePair = { sia: 'YT', siaRestore: 'YR', cid: 302 };

/** Closing report (armed). Contact ID 401 with qualifier 3 = close (1 = open). */
const CLOSING: CodePair = { sia: 'CL', siaRestore: 'CL', cid: 401, cidQualifierRestore: true };

export function codesFor(alert: Pick<OutboundAlert, 'kind' | 'zone'>): CodePair {
  if (alert.kind === 'link_loss' && alert.zone === 'power') return POWER;
  if (alert.kind === 'link_loss' && alert.zone === 'battery') return BATTERY;
  if (alert.kind === 'open_close' && alert.zone === 'closing') return CLOSING;
  return ALERT_CODES[alert.kind];
}

/** `#acct|Nri<area>/<code><zone>` for SIA-DCS. */
export function siaData(account: string, code: string, zone: number, area = 1): string {
  return `#${account}|Nri${area}/${code}${String(zone).padStart(3, '0')}`;
}

/** `#acct|Q EEE GG ZZZ` for ADM-CID: qualifier 1 new event, 3 restore. */
export function cidData(account: string, event: number, restore: boolean, zone: number, partition = 1): string {
  return `#${account}|${restore ? 3 : 1}${String(event).padStart(3, '0')} ${String(partition).padStart(2, '0')} ${String(zone).padStart(3, '0')}`;
}

/** Extended data text: printable ASCII only, without the bracket and separator characters. */
export function cleanText(text: string, max = 256): string {
  return text
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/[[\]|]/g, ' ')
    .trim()
    .slice(0, max);
}

/**
 * Extended data for an alert: site address (S), longitude (X) and latitude (Y) when the location
 * was shared, and a verification link (V) when a clip or snapshot link was shared.
 */
export function extendedData(alert: OutboundAlert): string[] {
  const out: string[] = [];
  if (alert.location) out.push(`S${cleanText(alert.location)}`);
  if (alert.coordinates) {
    out.push(`X${alert.coordinates.lon.toFixed(6)}`.slice(0, 13));
    out.push(`Y${alert.coordinates.lat.toFixed(6)}`.slice(0, 13));
  }
  const link = alert.clipUrl ?? alert.snapshotUrl;
  if (link) out.push(`V${cleanText(link)}`);
  return out;
}
