/**
 * What may go with a police alert, decided from the consent flags and what exists: the home
 * address and coordinates (config `home`), and snapshot / clip links (only when the hub has a
 * public address police can reach, and a clip was saved recently). Local channels get none of it.
 *
 * The links are verification links (verification-links.ts): a fresh random token per alert that
 * opens, without an account and for a limited time, only that alert's consented snapshot or clip,
 * at `<publicBaseUrl>/api/verify/<token>/<clipId>/snapshot|clip`. They are HTTPS when the
 * public address is.
 */
import type { EventMap } from '../api/events.js';
import type { HubConfig } from '../config/schema.js';
import type { ConsentSettings } from '../consent/settings.js';
import type { Attached } from './outbox-store.js';
import type { LinkGrant } from './verification-links.js';

/** A clip saved this recently before (or after) an alert belongs to it. */
const CLIP_WINDOW_MS = 5 * 60_000;

export function parseCoordinates(text: string): { lat: number; lon: number } | null {
  const m = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return null;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}

export class RecentClips {
  private clips: Array<EventMap['clip.saved']> = [];

  add(c: EventMap['clip.saved']): void {
    this.clips.push(c);
    if (this.clips.length > 50) this.clips.shift();
  }

  near(ts: number): EventMap['clip.saved'] | null {
    for (let i = this.clips.length - 1; i >= 0; i--) {
      const c = this.clips[i];
      if (c && Math.abs(c.ts - ts) <= CLIP_WINDOW_MS) return c;
    }
    return null;
  }
}

export interface PoliceExtras {
  location: string | null;
  coordinates: { lat: number; lon: number } | null;
  snapshotUrl: string | null;
  clipUrl: string | null;
  attached: Attached;
}

/** Issues the token for one alert's clip (null: links are not to be issued, e.g. consent is "never"). */
export type LinkIssuer = ((clipId: string, grant: LinkGrant) => Promise<string>) | null;

export function verificationUrl(base: string, token: string, clipId: string, target: 'snapshot' | 'clip'): string {
  return `${base.replace(/\/+$/, '')}/api/verify/${token}/${clipId}/${target}`;
}

export async function policeExtras(
  share: ConsentSettings['share'],
  home: HubConfig['home'],
  publicBaseUrl: string | null,
  clip: EventMap['clip.saved'] | null,
  issue: LinkIssuer,
): Promise<PoliceExtras> {
  const notes: string[] = [];
  let location: string | null = null;
  let coordinates: { lat: number; lon: number } | null = null;
  if (share.location) {
    location = home.address.trim() || null;
    coordinates = parseCoordinates(home.coordinates);
    if (!location) notes.push('location consented but no home address is set');
    if (!coordinates && home.coordinates.trim()) {
      // what3words or a grid reference: pass it as text with the address.
      location = [location, home.coordinates.trim()].filter(Boolean).join(' / ');
    }
  }
  let snapshotUrl: string | null = null;
  let clipUrl: string | null = null;
  if (share.snapshot || share.clipLink) {
    const base = publicBaseUrl?.replace(/\/+$/, '') ?? null;
    if (!base) notes.push('snapshot/clip consented but the hub has no public address for police to fetch them');
    else if (!clip) notes.push('snapshot/clip consented but no clip was saved around the alert');
    else if (issue) {
      const grant = { snapshot: share.snapshot && clip.snapshotSha256 !== null, clip: share.clipLink };
      if (share.snapshot && !grant.snapshot) notes.push('snapshot consented but the clip has no snapshot');
      if (grant.snapshot || grant.clip) {
        const token = await issue(clip.clipId, grant);
        if (grant.clip) clipUrl = verificationUrl(base, token, clip.clipId, 'clip');
        if (grant.snapshot) snapshotUrl = verificationUrl(base, token, clip.clipId, 'snapshot');
      }
    }
  }
  return {
    location,
    coordinates,
    snapshotUrl,
    clipUrl,
    attached: {
      location: location !== null,
      coordinates: coordinates !== null,
      snapshot: snapshotUrl !== null,
      clipLink: clipUrl !== null,
      notes,
    },
  };
}
