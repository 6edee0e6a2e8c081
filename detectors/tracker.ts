/**
 * Person tracks across frames. Each track's box is moved along its recent velocity to the new
 * frame's time, then matched greedily: overlapping boxes (IoU) first, then the nearest box of a
 * similar size within `maxShift` box widths (a slow model on a loaded hub sees a small, walking
 * person only every half second or so, by which time the boxes may no longer overlap). A track becomes a person only when the median of its recent scores passes the
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
  /** Without overlap, how far (in box widths; half that vertically) a detection may be from the predicted box. */
  maxShift: number;
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
  /** Box centre velocity, frame units per ms. */
  vx: number;
  vy: number;
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

/** Where a track's box should be at `ts`, moving at its velocity (capped at 2 s of motion). */
export function predict(t: Track, ts: number): BoundingBox {
  const dt = Math.min(2000, Math.max(0, ts - t.lastSeen));
  const dx = t.vx * dt;
  const dy = t.vy * dt;
  return { x1: t.box.x1 + dx, y1: t.box.y1 + dy, x2: t.box.x2 + dx, y2: t.box.y2 + dy };
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
        const overlap = this.matchScore(predict(t, ts), d.box);
        if (overlap !== null) pairs.push({ track: t, det: i, overlap });
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
        vx: 0,
        vy: 0,
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

  /** Higher is better; overlaps rank above distance matches; null means no match. */
  private matchScore(predicted: BoundingBox, box: BoundingBox): number | null {
    const overlap = iou(predicted, box);
    if (overlap >= this.settings.iouMatch) return 1 + overlap;
    const pw = predicted.x2 - predicted.x1;
    const ph = predicted.y2 - predicted.y1;
    const bw = box.x2 - box.x1;
    const bh = box.y2 - box.y1;
    const ratio = bh / ph;
    if (!(ratio >= 0.5 && ratio <= 2)) return null;
    const dx = Math.abs((predicted.x1 + predicted.x2) / 2 - (box.x1 + box.x2) / 2) / ((pw + bw) / 2);
    const dy = Math.abs((predicted.y1 + predicted.y2) / 2 - (box.y1 + box.y2) / 2) / ((ph + bh) / 2);
    const max = this.settings.maxShift;
    if (dx > max || dy > max / 2) return null;
    return 1 - Math.hypot(dx / max, dy / (max / 2)) / Math.SQRT2;
  }

  private advance(t: Track, d: Detection, ts: number): TrackerEvent | null {
    const dt = ts - t.lastSeen;
    if (dt > 0 && t.scores.length > 0) {
      const vx = (d.box.x1 + d.box.x2 - t.box.x1 - t.box.x2) / 2 / dt;
      const vy = (d.box.y1 + d.box.y2 - t.box.y1 - t.box.y2) / 2 / dt;
      // Smoothed: one jittery box should not send the prediction off.
      t.vx = t.scores.length > 1 ? (t.vx + vx) / 2 : vx;
      t.vy = t.scores.length > 1 ? (t.vy + vy) / 2 : vy;
    }
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
