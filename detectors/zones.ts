/**
 * Zones, masks and per-frame filtering of detections, in 0-1 frame coordinates. A person's position
 * is the bottom-centre of the box (where the feet are), as in Frigate: a head that overlaps a zone
 * drawn on the ground is not "in" it.
 */
import type { CameraDetectSettings, Zone } from '../hub/api/devices.js';
import type { BoundingBox } from '../hub/api/events.js';

export type Point = readonly [number, number];

export interface Detection {
  box: BoundingBox;
  score: number;
  classId: number;
}

export function bottomCentre(box: BoundingBox): Point {
  return [(box.x1 + box.x2) / 2, box.y2];
}

export function boxArea(box: BoundingBox): number {
  return Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1);
}

export function iou(a: BoundingBox, b: BoundingBox): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Even-odd ray casting; points exactly on an edge may fall either side, which is fine here. */
export function pointInPolygon(p: Point, polygon: ReadonlyArray<Point>): boolean {
  const [x, y] = p;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function zonesOf(box: BoundingBox, zones: ReadonlyArray<Zone>): string[] {
  const p = bottomCentre(box);
  return zones.filter((z) => pointInPolygon(p, z.points)).map((z) => z.name);
}

export function isMasked(box: BoundingBox, masks: ReadonlyArray<ReadonlyArray<Point>>): boolean {
  const p = bottomCentre(box);
  return masks.some((m) => pointInPolygon(p, m));
}

export type FilterSettings = Pick<CameraDetectSettings, 'minScore' | 'minArea' | 'maxArea' | 'masks'>;

/** Why a detection was dropped (for debug logs and tests), or null when it is kept. */
export function rejectReason(d: Detection, personClass: number, s: FilterSettings): string | null {
  if (d.classId !== personClass) return 'class';
  if (d.score < s.minScore) return 'score';
  const area = boxArea(d.box);
  if (area < s.minArea) return 'too_small';
  if (area > s.maxArea) return 'too_large';
  if (isMasked(d.box, s.masks)) return 'masked';
  return null;
}

/**
 * The persons worth tracking in one frame: filtered, then overlapping duplicates removed (CenterNet
 * sometimes reports the same person twice from neighbouring heatmap peaks).
 */
export function filterPersons(detections: ReadonlyArray<Detection>, personClass: number, s: FilterSettings, overlap = 0.5): Detection[] {
  const kept: Detection[] = [];
  const candidates = detections.filter((d) => rejectReason(d, personClass, s) === null).sort((a, b) => b.score - a.score);
  for (const d of candidates) if (kept.every((k) => iou(k.box, d.box) < overlap)) kept.push(d);
  return kept;
}
