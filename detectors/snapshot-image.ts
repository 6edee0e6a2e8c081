/**
 * Snapshot pictures. The evidence is the frame itself (lossless PNG, see png.ts); the boxes are
 * drawn only on a separate working copy (`annotate`), encoded as JPEG for people to look at.
 */
import jpeg from 'jpeg-js';
import type { BoundingBox } from '../hub/api/events.js';
import { type RawFrame, toRgb } from './frame-format.js';
import { encodePng } from './png.js';

const COLOUR = [255, 48, 48] as const;

/** Draw rectangle outlines into an rgb24 buffer (in place); thickness scales with the frame. */
export function drawBoxes(rgb: Uint8Array, width: number, height: number, boxes: ReadonlyArray<BoundingBox>): void {
  const t = Math.max(2, Math.round(Math.min(width, height) / 160));
  const fill = (x0: number, y0: number, x1: number, y1: number) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) {
        const i = (y * width + x) * 3;
        rgb[i] = COLOUR[0];
        rgb[i + 1] = COLOUR[1];
        rgb[i + 2] = COLOUR[2];
      }
    }
  };
  for (const b of boxes) {
    const x1 = Math.round(b.x1 * (width - 1));
    const y1 = Math.round(b.y1 * (height - 1));
    const x2 = Math.round(b.x2 * (width - 1));
    const y2 = Math.round(b.y2 * (height - 1));
    fill(x1, y1, x2 + 1, y1 + t);
    fill(x1, y2 - t + 1, x2 + 1, y2 + 1);
    fill(x1, y1, x1 + t, y2 + 1);
    fill(x2 - t + 1, y1, x2 + 1, y2 + 1);
  }
}

/** A working copy of the frame (rgb24) with the boxes drawn; the frame itself is not touched. */
export function annotate(frame: RawFrame, boxes: ReadonlyArray<BoundingBox>): Uint8Array {
  const rgb = toRgb(frame);
  drawBoxes(rgb, frame.width, frame.height, boxes);
  return rgb;
}

export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality: number): Uint8Array {
  const n = width * height;
  // jpeg-js wants RGBA.
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = rgb[i * 3]!;
    rgba[i * 4 + 1] = rgb[i * 3 + 1]!;
    rgba[i * 4 + 2] = rgb[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  const out = jpeg.encode({ data: rgba, width, height }, quality);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
}

export interface EncodedSnapshot {
  /** The frame pixel for pixel (PNG). */
  original: Uint8Array;
  /** The working copy with the boxes drawn (JPEG), or null when there are no boxes to draw. */
  annotated: Uint8Array | null;
}

export function encodeSnapshot(frame: RawFrame, boxes: ReadonlyArray<BoundingBox>, quality: number): EncodedSnapshot {
  const original = encodePng(frame);
  const annotated = boxes.length > 0 ? encodeJpeg(annotate(frame, boxes), frame.width, frame.height, quality) : null;
  return { original, annotated };
}
