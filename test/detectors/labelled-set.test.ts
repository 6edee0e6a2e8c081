/**
 * The default detector against the hand-labelled set (test/fixtures/labels/persons.json): no
 * person where there is none (images without people, the moving tree), and at least the recall
 * measured when it was chosen (README, "choosing the model"), so a change that loses people shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectorConfigSchema } from '../../detectors/config.js';
import { DetectorClient } from '../../detectors/detector-client.js';
import { shippedModelInit } from '../../detectors/models.js';
import { filterPersons } from '../../detectors/zones.js';
import { detectSettingsSchema } from '../../hub/config/devices-schema.js';
import { createLogger } from '../../hub/log/logger.js';
import { addScores, labelledSet, precision, recall, type Score, scoreFrame } from './labelled-set.js';

describe('scoring against hand labels', () => {
  it('counts a hit once, an unmatched box as false and an unfound person as missed', () => {
    const truth = [
      { x1: 0.1, y1: 0.1, x2: 0.2, y2: 0.4 },
      { x1: 0.6, y1: 0.1, x2: 0.7, y2: 0.4 },
    ];
    const s = scoreFrame(
      [
        { box: { x1: 0.11, y1: 0.1, x2: 0.21, y2: 0.41 }, score: 0.9 },
        { box: { x1: 0.1, y1: 0.12, x2: 0.2, y2: 0.4 }, score: 0.8 },
        { box: { x1: 0.4, y1: 0.5, x2: 0.5, y2: 0.9 }, score: 0.7 },
      ],
      truth,
    );
    expect(s).toEqual({ truePositives: 1, falsePositives: 2, falseNegatives: 1 });
    expect(precision(s)).toBeCloseTo(1 / 3);
    expect(recall(s)).toBeCloseTo(0.5);
  });
});

describe('the default detector on the labelled set', () => {
  let detector: DetectorClient;
  beforeAll(async () => {
    detector = new DetectorClient({
      init: shippedModelInit(detectorConfigSchema.parse({}).model.name, 'wasm'),
      log: createLogger({ level: 'error' }),
    });
    await detector.start();
  }, 60_000);
  afterAll(async () => {
    await detector?.stop();
  });

  it('reports no one where no one is, and finds at least 60 % of the labelled people', async () => {
    const settings = detectSettingsSchema.parse({});
    let all: Score = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
    for (const f of await labelledSet()) {
      const r = await detector.detect(f.frame);
      const kept = filterPersons(r.detections, 0, settings).filter((d) => d.score >= settings.threshold);
      if (f.truth.length === 0) expect(kept, f.name).toEqual([]);
      all = addScores(all, scoreFrame(kept, f.truth));
    }
    expect(all.truePositives + all.falseNegatives).toBe(20);
    expect(precision(all)).toBeGreaterThanOrEqual(0.95);
    expect(recall(all)).toBeGreaterThanOrEqual(0.6);
  }, 120_000);
});
