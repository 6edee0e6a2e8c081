/**
 * Person tracks across frames: one person, one track, for as long as they are in view.
 *
 * - Prediction: each track's box is moved along its smoothed velocity to the new frame's time
 *   (coasting), at most `coastMs` ahead, so a person missed for a few detector runs (occluded by
 *   the lamp post, a low score) is still where the track expects them.
 * - Matching: every (track, detection) pair gets a cost from IoU with the predicted box and from
 *   the centre distance in box sizes; the cheapest pairs are taken first (greedy assignment). A
 *   detection that matches no track but lies mostly on a track matched this frame is a duplicate
 *   of that person, not a new one.
 * - A track becomes a person when the median of its recent scores, padded with zeros up to
 *   `minHistory`, passes the threshold (Frigate's rule: one confident false positive never raises
 *   an event). It is *reported* (`detected`) only when its feet (bottom-centre) are in one of the
 *   camera's required zones, or anywhere when the camera has none (Frigate's `required_zones`).
 * - A track unseen for `leftAfterMs` of frame time ends (`left`, for reported tracks only); `clear`
 *   ends all of them at once (camera offline, removed, plugin stopping).
 * All times are frame timestamps.
 */
import { randomUUID } from 'node:crypto';
import type { Zone } from '../hub/api/devices.js';
import type { BoundingBox } from '../hub/api/events.js';
import { type Detection, iou, zonesOf } from './zones.js';

export interface TrackerSettings {
  threshold: number;
  zones: ReadonlyArray<Zone>;
  /** A person is reported only inside one of these zones; empty: anywhere. */
  requiredZones: ReadonlyArray<string>;
  /** Minimum IoU (with the predicted box) for a detection to continue a track on overlap alone. */
  iouMatch: number;
  /** Without overlap, how far (in box widths; half that vertically) a detection may be from the predicted box. */
  maxShift: number;
  /** Scores kept per track. */
  historySize: number;
  /** History is padded with zeros up to this length before taking the median. */
  minHistory: number;
  /** A track unseen for this long is gone. */
  leftAfterMs: number;
  /** How far ahead (ms) a missed track's box is carried along its velocity. */
  coastMs?: number;
}

export interface Track {
  id: string;
  box: BoundingBox;
  scores: number[];
  firstSeen: number;
  lastSeen: number;
  /** The score median passed the threshold: this is a person. */
  confirmed: boolean;
  /** `detected` was emitted (confirmed and seen in a required zone). */
  reported: boolean;
  zones: string[];
  /** The required zone the person was in when reported (or the first one entered). */
  requiredZone: string | null;
  /** Box centre velocity, frame units per ms. */
  vx: number;
  vy: number;
  hits: number;
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

/** Where a track's box should be at `ts`, moving at its velocity for at most `coastMs`. */
export function predict(t: Track, ts: number, coastMs = 2000): BoundingBox {
  const dt = Math.min(coastMs, Math.max(0, ts - t.lastSeen));
  const dx = t.vx * dt;
  const dy = t.vy * dt;
  return { x1: t.box.x1 + dx, y1: t.box.y1 + dy, x2: t.box.x2 + dx, y2: t.box.y2 + dy };
}

/** Fraction of `a`'s area that lies inside `b`. */
function coveredBy(a: BoundingBox, b: BoundingBox): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const area = Math.max(0, a.x2 - a.x1) * Math.max(0, a.y2 - a.y1);
  return area > 0 ? (ix * iy) / area : 0;
}

export class PersonTracker {
  private readonly tracks = new Map<string, Track>();
  /** Tracks ever created / ever reported (for benchmarks: track starts per person). */
  created = 0;
  reportedCount = 0;

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
    const pairs: Array<{ track: Track; det: number; score: number }> = [];
    const list = this.active();
    const coast = this.settings.coastMs ?? 2000;
    detections.forEach((d, i) => {
      for (const t of list) {
        const score = this.matchScore(predict(t, ts, coast), d.box);
        if (score !== null) pairs.push({ track: t, det: i, score });
      }
    });
    // Confirmed, long-lived tracks first on ties: a person keeps their track against a newcomer.
    pairs.sort((a, b) => b.score - a.score || b.track.hits - a.track.hits);
    const usedTracks = new Set<string>();
    const usedDets = new Set<number>();
    const matched: Track[] = [];
    for (const p of pairs) {
      if (usedTracks.has(p.track.id) || usedDets.has(p.det)) continue;
      usedTracks.add(p.track.id);
      usedDets.add(p.det);
      matched.push(p.track);
      const e = this.advance(p.track, detections[p.det]!, ts);
      if (e) events.push(e);
    }
    detections.forEach((d, i) => {
      if (usedDets.has(i)) return;
      // Mostly inside a person already matched this frame: a second box on the same body.
      if (matched.some((t) => coveredBy(d.box, t.box) > 0.6)) return;
      const track: Track = {
        id: `trk_${randomUUID().slice(0, 12)}`,
        box: d.box,
        scores: [],
        firstSeen: ts,
        lastSeen: ts,
        confirmed: false,
        reported: false,
        zones: [],
        requiredZone: null,
        vx: 0,
        vy: 0,
        hits: 0,
      };
      this.tracks.set(track.id, track);
      this.created++;
      const e = this.advance(track, d, ts);
      if (e) events.push(e);
    });
    return events.concat(this.expire(ts));
  }

  /** Drop tracks unseen for `leftAfterMs`; reported ones produce a `left` event. */
  expire(ts: number): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    for (const t of this.active()) {
      if (ts - t.lastSeen < this.settings.leftAfterMs) continue;
      this.tracks.delete(t.id);
      if (t.reported) events.push({ type: 'left', track: t, durationMs: t.lastSeen - t.firstSeen });
    }
    return events;
  }

  /** End every track now (camera offline or removed, plugin stopping). */
  clear(): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    for (const t of this.active()) if (t.reported) events.push({ type: 'left', track: t, durationMs: t.lastSeen - t.firstSeen });
    this.tracks.clear();
    return events;
  }

  /** Higher is better; overlaps rank above distance matches; null means no match. */
  private matchScore(predicted: BoundingBox, box: BoundingBox): number | null {
    const pw = predicted.x2 - predicted.x1;
    const ph = predicted.y2 - predicted.y1;
    const bw = box.x2 - box.x1;
    const bh = box.y2 - box.y1;
    const ratio = bh / ph;
    // A person does not double or halve in height between two detector runs.
    if (!(ratio >= 0.5 && ratio <= 2)) return null;
    const overlap = iou(predicted, box);
    const max = this.settings.maxShift;
    const dx = Math.abs((predicted.x1 + predicted.x2) / 2 - (box.x1 + box.x2) / 2) / ((pw + bw) / 2);
    const dy = Math.abs((predicted.y1 + predicted.y2) / 2 - (box.y1 + box.y2) / 2) / ((ph + bh) / 2);
    const near = dx <= max && dy <= max / 2 ? 1 - Math.hypot(dx / max, dy / (max / 2)) / Math.SQRT2 : null;
    if (overlap >= this.settings.iouMatch) return 1 + overlap + (near ?? 0) * 0.5;
    return near;
  }

  private advance(t: Track, d: Detection, ts: number): TrackerEvent | null {
    const dt = ts - t.lastSeen;
    if (dt > 0 && t.hits > 0) {
      const vx = (d.box.x1 + d.box.x2 - t.box.x1 - t.box.x2) / 2 / dt;
      const vy = (d.box.y1 + d.box.y2 - t.box.y1 - t.box.y2) / 2 / dt;
      // Smoothed: one jittery box should not send the prediction off.
      t.vx = t.hits > 1 ? t.vx * 0.6 + vx * 0.4 : vx;
      t.vy = t.hits > 1 ? t.vy * 0.6 + vy * 0.4 : vy;
    }
    t.box = d.box;
    t.lastSeen = ts;
    t.hits++;
    t.scores.push(d.score);
    if (t.scores.length > this.settings.historySize) t.scores.shift();
    const zones = zonesOf(d.box, this.settings.zones);
    const score = this.trackScore(t);
    if (!t.confirmed && score >= this.settings.threshold) t.confirmed = true;
    if (!t.reported) {
      t.zones = zones;
      if (!t.confirmed) return null;
      const required = this.settings.requiredZones;
      const inRequired = required.length === 0 ? null : (zones.find((z) => required.includes(z)) ?? undefined);
      // A person outside every required zone is tracked but raises nothing (yet).
      if (inRequired === undefined) return null;
      t.reported = true;
      t.requiredZone = inRequired;
      this.reportedCount++;
      return { type: 'detected', track: t, score };
    }
    const entered = zones.filter((z) => !t.zones.includes(z));
    const left = t.zones.filter((z) => !zones.includes(z));
    t.zones = zones;
    if (t.requiredZone === null) t.requiredZone = entered.find((z) => this.settings.requiredZones.includes(z)) ?? null;
    if (entered.length === 0 && left.length === 0) return null;
    return { type: 'updated', track: t, score, entered, left };
  }
}
