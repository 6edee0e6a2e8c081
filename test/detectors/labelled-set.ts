/**
 * The hand-labelled person set (test/fixtures/labels/persons.json, `boxes`): fixture images and
 * single clip frames with their person boxes, and precision / recall of a detector's boxes
 * against them (greedy matching by score at IoU 0.4: the hand boxes are approximate).
 */
import { readFileSync } from 'node:fs';
import type { TrackView } from '../../detectors/camera-pipeline.js';
import { iou } from '../../detectors/zones.js';
import type { BoundingBox } from '../../hub/api/events.js';
import type { Frame } from '../../hub/api/plugin.js';
import { clipFrameAt, imageFrame } from './fixture-media.js';

type Box4 = [number, number, number, number];
interface LabelFile {
  boxes: { images: Record<string, Box4[]>; frames: Array<{ clip: string; t: number; boxes: Box4[] }> };
}

export interface LabelledFrame {
  /** Where it comes from: the image file, or `clip@t`. */
  name: string;
  /** `images`, or the clip's file name. */
  group: string;
  frame: Frame;
  truth: BoundingBox[];
}

const toBox = ([x1, y1, x2, y2]: Box4): BoundingBox => ({ x1, y1, x2, y2 });

const labelFile = (): LabelFile =>
  JSON.parse(readFileSync(new URL('../fixtures/labels/persons.json', import.meta.url), 'utf8')) as LabelFile;

export async function labelledSet(): Promise<LabelledFrame[]> {
  const file = labelFile();
  const out: LabelledFrame[] = [];
  for (const [name, boxes] of Object.entries(file.boxes.images)) {
    out.push({ name, group: 'images', frame: imageFrame(name), truth: boxes.map(toBox) });
  }
  for (const f of file.boxes.frames) out.push(await labelledClipFrame(f));
  return out;
}

/** The labelled frames of one clip (640x480, as the hub's detection stream sees them); none if it has no labels. */
export async function labelledClipFrames(clip: string): Promise<LabelledFrame[]> {
  const out: LabelledFrame[] = [];
  for (const f of labelFile().boxes.frames) if (f.clip === clip) out.push(await labelledClipFrame(f));
  return out;
}

async function labelledClipFrame(f: LabelFile['boxes']['frames'][number]): Promise<LabelledFrame> {
  return { name: `${f.clip}@${f.t}`, group: f.clip, frame: await clipFrameAt(f.clip, f.t), truth: f.boxes.map(toBox) };
}

export interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export const MATCH_IOU = 0.4;

/** Greedy: each detection, best score first, takes the unmatched truth box it overlaps most. */
export function scoreFrame(detections: ReadonlyArray<{ box: BoundingBox; score: number }>, truth: ReadonlyArray<BoundingBox>): Score {
  const free = new Set(truth.map((_, i) => i));
  let tp = 0;
  let fp = 0;
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = MATCH_IOU;
    for (const i of free) {
      const v = iou(d.box, truth[i]!);
      if (v >= bestIou) {
        best = i;
        bestIou = v;
      }
    }
    if (best >= 0) {
      free.delete(best);
      tp++;
    } else fp++;
  }
  return { truePositives: tp, falsePositives: fp, falseNegatives: free.size };
}

export function addScores(a: Score, b: Score): Score {
  return {
    truePositives: a.truePositives + b.truePositives,
    falsePositives: a.falsePositives + b.falsePositives,
    falseNegatives: a.falseNegatives + b.falseNegatives,
  };
}

export const precision = (s: Score): number =>
  s.truePositives + s.falsePositives === 0 ? 1 : s.truePositives / (s.truePositives + s.falsePositives);
export const recall = (s: Score): number =>
  s.truePositives + s.falseNegatives === 0 ? 1 : s.truePositives / (s.truePositives + s.falseNegatives);

/** The people reported on the last analysed frame at or before `ts` (none before the first). */
export function reportedAt(views: ReadonlyMap<number, TrackView['tracks']>, ts: number): TrackView['tracks'] {
  let at = Number.NEGATIVE_INFINITY;
  for (const k of views.keys()) if (k <= ts && k > at) at = k;
  return views.get(at) ?? [];
}
