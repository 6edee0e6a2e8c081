/**
 * What may go with a police alert, decided from the consent flags and what exists: the home
 * address and coordinates (config `home`), and snapshot / clip links (only when the hub has a
 * public address police can reach, and a clip was saved recently). Local channels get none of it.
 */
import type { EventMap } from '../api/events.js';
import type { HubConfig } from '../config/schema.js';
import type { ConsentSettings } from '../consent/settings.js';
import type { Attached } from './outbox-store.js';

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

export function policeExtras(
  share: ConsentSettings['share'],
  home: HubConfig['home'],
  publicBaseUrl: string | null,
  clip: EventMap['clip.saved'] | null,
): PoliceExtras {
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
    else {
      if (share.clipLink) clipUrl = `${base}/api/clips/${clip.clipId}`;
      if (share.snapshot && clip.snapshotSha256) snapshotUrl = `${base}/api/clips/${clip.clipId}/snapshot`;
      else if (share.snapshot) notes.push('snapshot consented but the clip has no snapshot');
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
