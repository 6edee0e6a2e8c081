/**
 * Region-based detection, as the best NVRs do it: instead of shrinking the whole frame into the
 * model's input (where a person across the street is a few pixels), the model looks at square
 * crops around what moved like a body and around the people already tracked, each scaled to the
 * model's input. A person 70 px tall in a 640x480 frame is then about twice as big to the model.
 *
 * A region is a square of at least `side` of the frame's short side, grown to hold its box with a
 * margin, clamped inside the frame. Boxes inside an existing region share it. When more regions
 * than `maxRegions` would be needed, or they would cover more than `maxCover` of the frame, the
 * whole frame is used instead (it is then the cheaper way to look at everything).
 */
import type { BoundingBox } from '../hub/api/events.js';
import type { Frame } from '../hub/api/plugin.js';
import { channelsOf } from './frame-format.js';

export interface RegionSettings {
  enabled: boolean;
  /** Smallest region side, as a fraction of the frame's short side. */
  side: number;
  maxRegions: number;
  maxCover: number;
}

/** A region in frame pixels. */
export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Margin around a box inside its region (fraction of the box's larger side, each way). */
const MARGIN = 0.5;

function contains(r: Region, b: Region): boolean {
  return b.x >= r.x && b.y >= r.y && b.x + b.w <= r.x + r.w && b.y + b.h <= r.y + r.h;
}

/**
 * The regions to look at for these boxes (0-1 frame coordinates), or null for the whole frame.
 * No boxes: null.
 */
export function planRegions(boxes: ReadonlyArray<BoundingBox>, frameW: number, frameH: number, s: RegionSettings): Region[] | null {
  if (!s.enabled || boxes.length === 0) return null;
  const short = Math.min(frameW, frameH);
  const minSide = Math.max(16, Math.round(short * s.side));
  const px = boxes
    .map((b) => ({ x: b.x1 * frameW, y: b.y1 * frameH, w: (b.x2 - b.x1) * frameW, h: (b.y2 - b.y1) * frameH }))
    .filter((b) => b.w > 0 && b.h > 0)
    .sort((a, b) => b.w * b.h - a.w * a.h);
  const regions: Region[] = [];
  for (const b of px) {
    if (regions.some((r) => contains(r, b))) continue;
    const side = Math.round(Math.max(minSide, Math.max(b.w, b.h) * (1 + 2 * MARGIN)));
    if (side >= short) return null;
    const cx = b.x + b.w / 2;
    const cy = b.y + b.h / 2;
    const x = Math.round(Math.min(Math.max(0, cx - side / 2), frameW - side));
    const y = Math.round(Math.min(Math.max(0, cy - side / 2), frameH - side));
    regions.push({ x, y, w: side, h: side });
    if (regions.length > s.maxRegions) return null;
  }
  const cover = regions.reduce((n, r) => n + r.w * r.h, 0) / (frameW * frameH);
  return cover > s.maxCover ? null : regions;
}

/** The region's pixels as a frame of their own (a copy). */
export function cropFrame(frame: Frame, r: Region): Frame {
  const ch = channelsOf(frame.format);
  const data = new Uint8Array(r.w * r.h * ch);
  const rowBytes = r.w * ch;
  for (let y = 0; y < r.h; y++) {
    const from = ((r.y + y) * frame.width + r.x) * ch;
    data.set(frame.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { ...frame, width: r.w, height: r.h, data };
}

/** A box found in a region's crop (0-1 of the crop) back in 0-1 frame coordinates. */
export function fromRegion(box: BoundingBox, r: Region, frameW: number, frameH: number): BoundingBox {
  return {
    x1: (r.x + box.x1 * r.w) / frameW,
    y1: (r.y + box.y1 * r.h) / frameH,
    x2: (r.x + box.x2 * r.w) / frameW,
    y2: (r.y + box.y2 * r.h) / frameH,
  };
}

/**
 * A box touching the crop's edge where the crop does not reach the frame's edge is a body cut in
 * two by the crop: its box is not the person's, and would start a second track. The whole-frame
 * look finds that person whole.
 */
export function cutByRegion(box: BoundingBox, r: Region, frameW: number, frameH: number): boolean {
  const e = 0.01;
  return (
    (box.x1 <= e && r.x > 0) ||
    (box.y1 <= e && r.y > 0) ||
    (box.x2 >= 1 - e && r.x + r.w < frameW) ||
    (box.y2 >= 1 - e && r.y + r.h < frameH)
  );
}
