/**
 * Person tracks across frames. Matching is greedy by IoU (people at a door move little between
 * detections). A track becomes a person only when the median of its recent scores passes the
 * threshold, with the history padded by zeros up to `minHistory` entries (Frigate's rule), so a
 * single confident false positive never raises an event. All times are frame timestamps.
 */
import { randomUUID } from 'node:crypto';
import type { Zone } from '../hub/api/devices.js';
import type { BoundingBox } from '../hub/api/events.js';
import { type Detection, iou, zonesOf } from './zones.js';

export interface TrackerSettings {
  threshold: number;
  zones: ReadonlyArray<Zone>;
  /** Minimum IoU for a detection to continue a track. */
  iouMatch: number;
  /** Scores kept per track. */
  historySize: number;
  /** History is padded with zeros up to this length before taking the median. */
  minHistory: number;
  /** A track unseen for this long is gone. */
  leftAfterMs: number;
}

export interface Track {
  id: string;
  box: BoundingBox;
  scores: number[];
  firstSeen: number;
  lastSeen: number;
  confirmed: boolean;
  zones: string[];
}

export type TrackerEvent =
  | { type: 'detected'; track: Track; score: number }
  | { type: 'updated'; track: Track; score: number; entered: string[]; left: string[] }
  | { type: 'left'; track: Track; durationMs: number };

export function median(values: ReadonlyArray<number>): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export class PersonTracker {
  private readonly tracks = new Map<string, Track>();

  constructor(private settings: TrackerSettings) {}

  configure(settings: TrackerSettings): void {
    this.settings = settings;
  }

  /** Tracks currently alive (confirmed or not). */
  active(): Track[] {
    return [...this.tracks.values()];
  }

  hasConfirmed(): boolean {
    return this.active().some((t) => t.confirmed);
  }

  /** The score used for the person decision: median of the zero-padded recent history. */
  trackScore(t: Track): number {
    const padded = [...t.scores];
    while (padded.length < this.settings.minHistory) padded.push(0);
    return median(padded);
  }

  /** Feed the filtered person detections of one frame. */
  update(detections: ReadonlyArray<Detection>, ts: number): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    const pairs: Array<{ track: Track; det: number; overlap: number }> = [];
    const list = this.active();
    detections.forEach((d, i) => {
      for (const t of list) {
        const overlap = iou(t.box, d.box);
        if (overlap >= this.settings.iouMatch) pairs.push({ track: t, det: i, overlap });
      }
    });
    pairs.sort((a, b) => b.overlap - a.overlap);
    const usedTracks = new Set<string>();
    const usedDets = new Set<number>();
    for (const p of pairs) {
      if (usedTracks.has(p.track.id) || usedDets.has(p.det)) continue;
      usedTracks.add(p.track.id);
      usedDets.add(p.det);
      const e = this.advance(p.track, detections[p.det]!, ts);
      if (e) events.push(e);
    }
    detections.forEach((d, i) => {
      if (usedDets.has(i)) return;
      const track: Track = {
        id: `trk_${randomUUID().slice(0, 12)}`,
        box: d.box,
        scores: [],
        firstSeen: ts,
        lastSeen: ts,
        confirmed: false,
        zones: [],
      };
      this.tracks.set(track.id, track);
      const e = this.advance(track, d, ts);
      if (e) events.push(e);
    });
    return events.concat(this.expire(ts));
  }

  /** Drop tracks unseen for `leftAfterMs`; confirmed ones produce a `left` event. */
  expire(ts: number): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    for (const t of this.active()) {
      if (ts - t.lastSeen < this.settings.leftAfterMs) continue;
      this.tracks.delete(t.id);
      if (t.confirmed) events.push({ type: 'left', track: t, durationMs: t.lastSeen - t.firstSeen });
    }
    return events;
  }

  /** End every track now (camera removed, plugin stopping). */
  clear(): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    for (const t of this.active()) if (t.confirmed) events.push({ type: 'left', track: t, durationMs: t.lastSeen - t.firstSeen });
    this.tracks.clear();
    return events;
  }

  private advance(t: Track, d: Detection, ts: number): TrackerEvent | null {
    t.box = d.box;
    t.lastSeen = ts;
    t.scores.push(d.score);
    if (t.scores.length > this.settings.historySize) t.scores.shift();
    const zones = zonesOf(d.box, this.settings.zones);
    const score = this.trackScore(t);
    if (!t.confirmed) {
      t.zones = zones;
      if (score < this.settings.threshold) return null;
      t.confirmed = true;
      return { type: 'detected', track: t, score };
    }
    const entered = zones.filter((z) => !t.zones.includes(z));
    const left = t.zones.filter((z) => !zones.includes(z));
    t.zones = zones;
    if (entered.length === 0 && left.length === 0) return null;
    return { type: 'updated', track: t, score, entered, left };
  }
}
