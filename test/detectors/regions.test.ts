/**
 * Region-based detection: where the crops go, that a crop is the frame's own pixels, that boxes
 * map back, and, with the real model, that a crop finds the far-away walker the whole frame misses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorClient } from '../../detectors/detector-client.js';
import { shippedModelInit } from '../../detectors/models.js';
import { cropFrame, fromRegion, planRegions, type RegionSettings } from '../../detectors/regions.js';
import { iou } from '../../detectors/zones.js';
import { createLogger } from '../../hub/log/logger.js';
import { labelledSet } from './labelled-set.js';

const S: RegionSettings = { enabled: true, side: 0.5, maxRegions: 2, maxCover: 0.6 };

describe('region planning', () => {
  it('puts a square of at least the minimum side around a box, inside the frame', () => {
    const [r] = planRegions([{ x1: 0.5, y1: 0.5, x2: 0.55, y2: 0.6 }], 640, 480, S) ?? [];
    expect(r).toEqual({ x: 216, y: 144, w: 240, h: 240 });
    // At the edge the square is pushed back inside.
    const [edge] = planRegions([{ x1: 0.95, y1: 0.9, x2: 1, y2: 1 }], 640, 480, S) ?? [];
    expect(edge).toEqual({ x: 400, y: 240, w: 240, h: 240 });
  });

  it('grows the square for a big box and shares it with boxes inside it', () => {
    const regions = planRegions(
      [
        { x1: 0.4, y1: 0.3, x2: 0.5, y2: 0.6 },
        { x1: 0.44, y1: 0.4, x2: 0.46, y2: 0.45 },
      ],
      640,
      480,
      S,
    );
    expect(regions).toHaveLength(1);
    expect(regions?.[0]?.w).toBe(288);
  });

  it('says "whole frame" with nothing to aim at, too many regions, too much cover, or when switched off', () => {
    expect(planRegions([], 640, 480, S)).toBeNull();
    const spread = [0.05, 0.35, 0.65, 0.9].map((x) => ({ x1: x, y1: 0.1, x2: x + 0.03, y2: 0.2 }));
    expect(planRegions(spread.slice(0, 2), 640, 480, S)).toHaveLength(2);
    expect(planRegions(spread, 640, 480, S)).toBeNull();
    expect(planRegions(spread.slice(0, 2), 640, 480, { ...S, maxCover: 0.3 })).toBeNull();
    expect(planRegions([{ x1: 0.1, y1: 0.1, x2: 0.9, y2: 0.9 }], 640, 480, S)).toBeNull();
    expect(planRegions(spread.slice(0, 1), 640, 480, { ...S, enabled: false })).toBeNull();
  });

  it('crops the frame pixels as they are and maps boxes back', () => {
    const data = new Uint8Array(8 * 6 * 3).map((_, i) => i % 251);
    const frame = { cameraId: 'c', ts: 0, width: 8, height: 6, format: 'rgb24' as const, data };
    const r = { x: 2, y: 1, w: 4, h: 4 };
    const crop = cropFrame(frame, r);
    expect(crop.width).toBe(4);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) expect(crop.data[(y * 4 + x) * 3 + c]).toBe(data[((y + 1) * 8 + x + 2) * 3 + c]);
      }
    }
    expect(fromRegion({ x1: 0, y1: 0, x2: 0.5, y2: 1 }, r, 8, 6)).toEqual({ x1: 0.25, y1: 1 / 6, x2: 0.5, y2: 5 / 6 });
  });
});

describe('regions with the real model', () => {
  let detector: DetectorClient;
  beforeAll(async () => {
    detector = new DetectorClient({ init: shippedModelInit('centernet-512', 'wasm'), log: createLogger({ level: 'error' }) });
    await detector.start();
  }, 60_000);
  afterAll(async () => {
    await detector?.stop();
  });

  it('a crop around the far walker finds them; the whole frame does not', async () => {
    const set = await labelledSet();
    const f = set.find((s) => s.name === 'people-walking-768x576-10fps.mp4@8');
    if (!f) throw new Error('labelled frame missing');
    // Hand label: the person far away on the top-left path, about 12 x 26 px.
    const far = f.truth[0]!;
    const hits = (boxes: Array<{ box: typeof far; score: number; classId: number }>) =>
      boxes.filter((d) => d.classId === 0 && d.score >= 0.5 && iou(d.box, far) >= 0.4);
    const whole = await detector.detect(f.frame);
    expect(hits(whole.detections)).toHaveLength(0);
    const [region] = planRegions([far], f.frame.width, f.frame.height, S) ?? [];
    if (!region) throw new Error('no region planned');
    const inCrop = await detector.detect(cropFrame(f.frame, region));
    const mapped = inCrop.detections.map((d) => ({ ...d, box: fromRegion(d.box, region, f.frame.width, f.frame.height) }));
    expect(hits(mapped).length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
