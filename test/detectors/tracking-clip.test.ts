/**
 * One person, one track: the real model and tracker on the first 10 s of the people-walking clip
 * (frame by frame, so the result depends on the frames and not on how busy the machine is). The
 * number of people who appear is hand-labelled in test/fixtures/labels/persons.json.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackView } from '../../detectors/camera-pipeline.js';
import { type PersonDetectorPlugin, personDetectorPlugin } from '../../detectors/plugin.js';
import type { EventMap } from '../../hub/api/events.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { clipFrames } from './fixture-media.js';
import { addScores, labelledClipFrames, precision, recall, reportedAt, type Score, scoreFrame } from './labelled-set.js';

const CLIP = 'people-walking-768x576-10fps.mp4';
const START = 1_700_000_000_000;
/**
 * Hand-labelled people the pipeline reports on the clip's labelled frames (0, 4 and 8 s: 16
 * people; at 0 s nobody is confirmed yet). 6 on wasm here; the model alone finds 9 on the whole frame.
 */
const LABELLED_HITS = 5;
const labels = JSON.parse(readFileSync(new URL('../fixtures/labels/persons.json', import.meta.url), 'utf8')) as {
  clips: Record<string, { window: [number, number]; distinctPeople: number }>;
};

describe('tracking people on the people-walking clip', () => {
  let t: TestHub;
  let plugin: PersonDetectorPlugin;
  const detected: Array<EventMap['person.detected']> = [];
  const left: Array<EventMap['person.left']> = [];

  beforeAll(async () => {
    plugin = personDetectorPlugin();
    t = await startTestHub({
      plugins: [plugin],
      modules: [],
      config: {
        cameras: [
          {
            id: 'walk',
            name: 'Walk',
            kind: 'camera',
            source: { type: 'rtsp', mainUrl: 'rtsp://127.0.0.1:1/walk' },
            detect: { fps: 5, width: 640, height: 480 },
          },
        ],
        plugins: { 'person-detector': { backend: 'wasm', snapshots: { enabled: false }, tracking: { offlineAfterSeconds: 1 } } },
      },
    });
    t.hub.bus.on('person.detected', 'test', (e) => {
      detected.push(e);
    });
    t.hub.bus.on('person.left', 'test', (e) => {
      left.push(e);
    });
    await plugin.ready();
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('starts at most one track per person (plus one), keeps them while in view, and ends them all when the camera goes quiet', async () => {
    const { window, distinctPeople } = labels.clips[CLIP]!;
    const frames = await clipFrames(CLIP, {
      cameraId: 'walk',
      fps: 5,
      width: 640,
      height: 480,
      seconds: window[1],
      startTs: START,
    });
    expect(frames.length).toBeGreaterThanOrEqual(48);
    const views = new Map<number, TrackView['tracks']>();
    const unwatch = plugin.watchTracks('walk', (v) => views.set(v.frameTs, v.tracks));
    expect(unwatch).not.toBeNull();
    for (const f of frames) {
      t.hub.core.frameHub.publish(f);
      await plugin.settled();
    }
    unwatch?.();
    // What the pipeline reports frame by frame are people who were announced, where the hand labels put people.
    const announced = new Set(detected.map((d) => d.trackId));
    for (const tracks of views.values()) for (const tr of tracks) expect(announced.has(tr.trackId)).toBe(true);
    let score: Score = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
    const labelled = await labelledClipFrames(CLIP);
    expect(labelled.length).toBeGreaterThanOrEqual(3);
    for (const l of labelled) {
      const at = START + Number(l.name.split('@')[1]) * 1000;
      score = addScores(score, scoreFrame(reportedAt(views, at), l.truth));
    }
    const stats = plugin.stats('walk')!;
    // Printed so a run shows how far from the labels it was.
    console.log(
      `track starts ${detected.length} for ${distinctPeople} people; tracks created ${stats.tracksCreated}; left while in view ${left.length}; ` +
        `on the labelled frames P ${precision(score).toFixed(2)} R ${recall(score).toFixed(2)} (${score.truePositives} hit, ${score.falsePositives} false)`,
    );
    expect(score.falsePositives).toBe(0);
    expect(score.truePositives).toBeGreaterThanOrEqual(LABELLED_HITS);
    expect(detected.length).toBeGreaterThanOrEqual(3);
    expect(detected.length).toBeLessThanOrEqual(distinctPeople + 1);
    expect(new Set(detected.map((d) => d.trackId)).size).toBe(detected.length);
    // The camera stops sending frames: every person still tracked gets person.left.
    const stillThere = detected.length - left.length;
    const end = Date.now() + 10_000;
    while (left.length < detected.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(left.length).toBe(detected.length);
    expect(left.filter((l) => l.reason === 'camera_offline')).toHaveLength(stillThere);
  }, 180_000);
});
