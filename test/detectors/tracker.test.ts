import { describe, expect, it } from 'vitest';
import { median, PersonTracker, type TrackerSettings } from '../../detectors/tracker.js';
import type { Detection } from '../../detectors/zones.js';

const settings: TrackerSettings = {
  threshold: 0.5,
  zones: [
    {
      name: 'path',
      points: [
        [0.4, 0.5],
        [1, 0.5],
        [1, 1],
        [0.4, 1],
      ],
    },
  ],
  requiredZones: [],
  iouMatch: 0.2,
  maxShift: 1.5,
  historySize: 10,
  minHistory: 3,
  leftAfterMs: 5000,
};

const at = (x: number, score = 0.8, y = 0.2): Detection => ({ box: { x1: x, y1: y, x2: x + 0.1, y2: y + 0.4 }, score, classId: 0 });

describe('PersonTracker', () => {
  it('takes the median of zero-padded recent scores (one confident hit is not a person)', () => {
    expect(median([0.9, 0, 0])).toBe(0);
    expect(median([0.9, 0.8, 0])).toBe(0.8);
    expect(median([0.2, 0.6, 0.7, 0.9])).toBeCloseTo(0.65);
    const t = new PersonTracker(settings);
    expect(t.update([at(0.1, 0.95)], 0)).toEqual([]);
    const events = t.update([at(0.11, 0.9)], 200);
    expect(events.map((e) => e.type)).toEqual(['detected']);
    // Already a person: no second `detected` for the same track.
    expect(t.update([at(0.12, 0.9)], 400)).toEqual([]);
  });

  it('never confirms a track whose scores stay under the threshold', () => {
    const t = new PersonTracker(settings);
    for (let i = 0; i < 20; i++) expect(t.update([at(0.1 + i * 0.002, 0.42)], i * 200)).toEqual([]);
    expect(t.hasConfirmed()).toBe(false);
  });

  it('keeps a stable id while a person moves, and separate ids for two people', () => {
    const t = new PersonTracker(settings);
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      for (const e of t.update([at(0.05 + i * 0.02), at(0.7 - i * 0.01, 0.7, 0.1)], i * 200)) ids.add(e.track.id);
    }
    expect(ids.size).toBe(2);
    expect(t.active()).toHaveLength(2);
  });

  it('follows a small, fast walker seen only every 600 ms (boxes no longer overlap) by predicting its path', () => {
    const t = new PersonTracker(settings);
    const walker = (i: number): Detection => ({
      box: { x1: 0.1 + i * 0.06, y1: 0.3, x2: 0.14 + i * 0.06, y2: 0.42 },
      score: 0.7,
      classId: 0,
    });
    // 0.06 per step, boxes 0.04 wide: consecutive boxes never overlap.
    const ids = new Set<string>();
    let detected = 0;
    for (let i = 0; i < 10; i++) {
      for (const e of t.update([walker(i)], i * 600)) if (e.type === 'detected') detected++;
      for (const tr of t.active()) ids.add(tr.id);
    }
    expect(ids.size).toBe(1);
    expect(detected).toBe(1);
    // Somebody far away in the same frame is someone else.
    const far: Detection = { box: { x1: 0.8, y1: 0.7, x2: 0.84, y2: 0.82 }, score: 0.7, classId: 0 };
    t.update([walker(10), far], 6000);
    expect(t.active()).toHaveLength(2);
  });

  it('reports zones entered and left by the bottom-centre of the box', () => {
    const t = new PersonTracker(settings);
    t.update([at(0.1)], 0);
    const [detected] = t.update([at(0.1)], 200);
    expect(detected?.type === 'detected' && detected.track.zones).toEqual([]);
    // Walk right: feet (x centre, y2 = 0.6) cross x = 0.4 into the path zone.
    const entered = [0.15, 0.2, 0.25, 0.3, 0.35, 0.4].flatMap((x, i) => t.update([at(x)], 400 + i * 200));
    expect(entered.map((e) => (e.type === 'updated' ? [e.entered, e.left] : e.type))).toEqual([[['path'], []]]);
    const left = [0.35, 0.3, 0.25].flatMap((x, i) => t.update([at(x)], 1600 + i * 200));
    expect(left.map((e) => (e.type === 'updated' ? [e.entered, e.left] : e.type))).toEqual([[[], ['path']]]);
  });

  it('ends a person unseen for leftAfter with its duration; unconfirmed tracks vanish silently', () => {
    const t = new PersonTracker(settings);
    t.update([at(0.1)], 1000);
    t.update([at(0.1)], 1200);
    t.update([at(0.1)], 3000);
    t.update([at(0.7, 0.9)], 3000); // a single hit elsewhere: unconfirmed
    expect(t.expire(7999)).toEqual([]);
    const gone = t.expire(8000);
    expect(gone).toHaveLength(1);
    expect(gone[0]?.type === 'left' && gone[0].durationMs).toBe(2000);
    expect(t.active()).toEqual([]);
  });

  it('with required zones, a person outside all of them is tracked but not reported until their feet are inside one', () => {
    const t = new PersonTracker({ ...settings, requiredZones: ['path'] });
    // Feet at y = 0.6, x centre 0.15 .. 0.3: left of the path zone (x >= 0.4).
    const outside = [0.1, 0.12, 0.14, 0.16, 0.18, 0.2].flatMap((x, i) => t.update([at(x)], i * 200));
    expect(outside).toEqual([]);
    expect(t.hasConfirmed()).toBe(true);
    expect(t.expire(10_000)).toEqual([]); // never reported: ends silently
    const t2 = new PersonTracker({ ...settings, requiredZones: ['path'] });
    const walk = [0.2, 0.25, 0.3, 0.35, 0.4].flatMap((x, i) => t2.update([at(x)], i * 200));
    expect(walk.map((e) => e.type)).toEqual(['detected']);
    const [d] = walk;
    expect(d?.track.requiredZone).toBe('path');
    expect(d?.track.zones).toEqual(['path']);
    // Walking back out is an update; the track stays the same person.
    const back = [0.3, 0.25].flatMap((x, i) => t2.update([at(x)], 1000 + i * 200));
    expect(back.map((e) => (e.type === 'updated' ? e.left : e.type))).toEqual([['path']]);
  });

  it('keeps one track through a short miss (coasting along the velocity) and ends all tracks on clear()', () => {
    const t = new PersonTracker(settings);
    const ids = new Set<string>();
    const step = (x: number, ts: number) => {
      for (const e of t.update([at(x)], ts)) ids.add(e.track.id);
      for (const tr of t.active()) ids.add(tr.id);
    };
    for (let i = 0; i < 5; i++) step(0.05 + i * 0.03, i * 200);
    // Behind the lamp post for 1.6 s (no detection), moving on at the same pace meanwhile.
    for (let i = 0; i < 8; i++) t.update([], 1000 + i * 200);
    step(0.05 + 13 * 0.03, 2600);
    expect(ids.size).toBe(1);
    expect(t.created).toBe(1);
    expect(t.reportedCount).toBe(1);
    const ended = t.clear();
    expect(ended.map((e) => e.type)).toEqual(['left']);
    expect(t.active()).toEqual([]);
  });

  it('does not start a second track for a duplicate box on a person already matched', () => {
    const t = new PersonTracker(settings);
    t.update([at(0.3)], 0);
    t.update([at(0.3)], 200);
    // The upper half of the same body as a second, weaker box.
    t.update([at(0.3), { box: { x1: 0.31, y1: 0.2, x2: 0.39, y2: 0.4 }, score: 0.6, classId: 0 }], 400);
    expect(t.created).toBe(1);
  });
});
