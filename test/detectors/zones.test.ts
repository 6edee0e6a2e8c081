import { describe, expect, it } from 'vitest';
import {
  bottomCentre,
  type Detection,
  filterPersons,
  iou,
  isMasked,
  pointInPolygon,
  rejectReason,
  zonesOf,
} from '../../detectors/zones.js';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });
const person = (b: ReturnType<typeof box>, score = 0.8): Detection => ({ box: b, score, classId: 0 });
const open = { minScore: 0.35, minArea: 0.002, maxArea: 0.9, masks: [] as Array<Array<[number, number]>> };

describe('zones and masks (0-1 polygons, bottom-centre rule)', () => {
  const path: Array<[number, number]> = [
    [0.2, 0.6],
    [0.8, 0.6],
    [0.8, 1],
    [0.2, 1],
  ];
  // An L-shaped (concave) porch.
  const porch: Array<[number, number]> = [
    [0, 0],
    [0.5, 0],
    [0.5, 0.5],
    [1, 0.5],
    [1, 1],
    [0, 1],
  ];

  it('tests points against convex and concave polygons', () => {
    expect(pointInPolygon([0.5, 0.8], path)).toBe(true);
    expect(pointInPolygon([0.5, 0.5], path)).toBe(false);
    expect(pointInPolygon([0.9, 0.8], path)).toBe(false);
    expect(pointInPolygon([0.25, 0.25], porch)).toBe(true);
    expect(pointInPolygon([0.75, 0.25], porch)).toBe(false);
    expect(pointInPolygon([0.75, 0.75], porch)).toBe(true);
  });

  it('places a person by the bottom-centre of the box, not by overlap', () => {
    expect(bottomCentre(box(0.4, 0.1, 0.6, 0.7))).toEqual([0.5, 0.7]);
    const zones = [{ name: 'path', points: path }];
    // Feet on the path.
    expect(zonesOf(box(0.4, 0.2, 0.6, 0.8), zones)).toEqual(['path']);
    // Head and body overlap the path area but the feet stand beside it.
    expect(zonesOf(box(0.82, 0.5, 0.98, 0.95), zones)).toEqual([]);
    // Standing entirely above the zone.
    expect(zonesOf(box(0.1, 0.1, 0.3, 0.55), zones)).toEqual([]);
  });

  it('reports every zone a person stands in', () => {
    const zones = [
      { name: 'path', points: path },
      { name: 'porch', points: porch },
    ];
    expect(zonesOf(box(0.6, 0.3, 0.7, 0.8), zones).sort()).toEqual(['path', 'porch']);
  });

  it('drops detections whose feet are inside a mask', () => {
    const masks: Array<Array<[number, number]>> = [
      [
        [0, 0],
        [0.3, 0],
        [0.3, 0.3],
        [0, 0.3],
      ],
    ];
    expect(isMasked(box(0.1, 0.05, 0.2, 0.25), masks)).toBe(true);
    // The head is inside the mask, the feet are not: kept.
    expect(isMasked(box(0.1, 0.2, 0.2, 0.6), masks)).toBe(false);
    expect(rejectReason(person(box(0.1, 0.05, 0.2, 0.25)), 0, { ...open, masks })).toBe('masked');
  });

  it('filters by class, per-frame score and box area', () => {
    expect(rejectReason({ box: box(0.1, 0.1, 0.5, 0.9), score: 0.9, classId: 15 }, 0, open)).toBe('class');
    expect(rejectReason(person(box(0.1, 0.1, 0.5, 0.9), 0.2), 0, open)).toBe('score');
    expect(rejectReason(person(box(0.1, 0.1, 0.11, 0.11)), 0, open)).toBe('too_small');
    expect(rejectReason(person(box(0, 0, 1, 0.95)), 0, open)).toBe('too_large');
    expect(rejectReason(person(box(0.1, 0.1, 0.5, 0.9)), 0, open)).toBeNull();
  });

  it('keeps one of two overlapping boxes for the same person', () => {
    const a = person(box(0.7, 0.04, 1, 0.99), 0.46);
    const b = person(box(0.69, 0.04, 0.99, 0.98), 0.45);
    const other = person(box(0.05, 0.17, 0.26, 0.99), 0.8);
    expect(iou(a.box, b.box)).toBeGreaterThan(0.8);
    const kept = filterPersons([b, a, other], 0, open);
    expect(kept.map((d) => d.score)).toEqual([0.8, 0.46]);
  });
});
