/**
 * Model input preparation: the frame is scaled to fit the model's input keeping its aspect ratio
 * (bilinear), and the rest is padded with mid-gray. Stretching instead cost recall on people at
 * the edges of wide frames (the second person in the doorway fixture), so we letterbox.
 */
import type { BoundingBox } from '../hub/api/events.js';
import { channelsOf, type RawFrame } from './frame-format.js';

const PAD = 114;

export interface Letterboxed {
  input: Float32Array;
  /** Input pixels per frame pixel. */
  scale: number;
}

export function letterbox(frame: RawFrame, inW: number, inH: number): Letterboxed {
  const ch = channelsOf(frame.format);
  const scale = Math.min(inW / frame.width, inH / frame.height);
  const dw = Math.min(inW, Math.round(frame.width * scale));
  const dh = Math.min(inH, Math.round(frame.height * scale));
  const input = new Float32Array(inW * inH * 3).fill(PAD);
  const src = frame.data;
  const fw = frame.width;
  const maxX = frame.width - 1;
  const maxY = frame.height - 1;
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(maxY, Math.max(0, (y + 0.5) / scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(maxY, y0 + 1);
    const wy = sy - y0;
    for (let x = 0; x < dw; x++) {
      const sx = Math.min(maxX, Math.max(0, (x + 0.5) / scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(maxX, x0 + 1);
      const wx = sx - x0;
      const i00 = (y0 * fw + x0) * ch;
      const i01 = (y0 * fw + x1) * ch;
      const i10 = (y1 * fw + x0) * ch;
      const i11 = (y1 * fw + x1) * ch;
      const o = (y * inW + x) * 3;
      for (let c = 0; c < 3; c++) {
        // Gray frames are replicated to three channels (ch === 1 reads channel 0 each time).
        const k = ch === 3 ? c : 0;
        const top = src[i00 + k]! + (src[i01 + k]! - src[i00 + k]!) * wx;
        const bottom = src[i10 + k]! + (src[i11 + k]! - src[i10 + k]!) * wx;
        input[o + c] = top + (bottom - top) * wy;
      }
    }
  }
  return { input, scale };
}

/** Map a box in model input pixels back to 0-1 frame coordinates, clamped to the frame. */
export function toFrameBox(x1: number, y1: number, x2: number, y2: number, scale: number, frameW: number, frameH: number): BoundingBox {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return {
    x1: clamp(x1 / scale / frameW),
    y1: clamp(y1 / scale / frameH),
    x2: clamp(x2 / scale / frameW),
    y2: clamp(y2 / scale / frameH),
  };
}
