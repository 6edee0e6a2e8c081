/**
 * Raw frame checks and conversions shared by the motion gate, the detector worker and snapshots.
 * Frames come from another process (ffmpeg) so their size is never trusted.
 */
import { HubError } from '../hub/api/errors.js';
import type { Frame } from '../hub/api/plugin.js';

export type RawFrame = Pick<Frame, 'width' | 'height' | 'format' | 'data'>;

export function channelsOf(format: Frame['format']): number {
  return format === 'rgb24' ? 3 : 1;
}

/** Throws HUB_ERR_BAD_FRAME naming what is wrong (size, format or truncated buffer). */
export function validateFrame(frame: RawFrame): void {
  const { width, height, format, data } = frame;
  if (format !== 'rgb24' && format !== 'gray') {
    throw new HubError('HUB_ERR_BAD_FRAME', `unknown frame format ${String(format)}`, { details: { format } });
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8 || width > 8192 || height > 8192) {
    throw new HubError('HUB_ERR_BAD_FRAME', `frame size ${width}x${height} is not usable`, { details: { width, height } });
  }
  if (!(data instanceof Uint8Array)) {
    throw new HubError('HUB_ERR_BAD_FRAME', 'frame data is not a byte buffer', { details: { width, height } });
  }
  const expected = width * height * channelsOf(format);
  if (data.length !== expected) {
    throw new HubError(
      'HUB_ERR_BAD_FRAME',
      `frame of ${width}x${height} ${format} needs ${expected} bytes but has ${data.length} (truncated or wrong size)`,
      { details: { width, height, format, expected, actual: data.length } },
    );
  }
}

export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Downscale to a small grayscale image by averaging blocks: cheap, and the averaging smooths sensor
 * noise so the motion gate needs no separate blur.
 */
export function toSmallGray(frame: RawFrame, targetWidth: number): GrayImage {
  const ch = channelsOf(frame.format);
  const step = Math.max(1, Math.floor(frame.width / targetWidth));
  const w = Math.floor(frame.width / step);
  const h = Math.floor(frame.height / step);
  const out = new Float32Array(w * h);
  const src = frame.data;
  const norm = 1 / (step * step);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = 0; dy < step; dy++) {
        let i = ((y * step + dy) * frame.width + x * step) * ch;
        for (let dx = 0; dx < step; dx++) {
          // Integer luma approximation (BT.601) is plenty for motion.
          sum += ch === 3 ? (src[i]! * 77 + src[i + 1]! * 150 + src[i + 2]! * 29) >> 8 : src[i]!;
          i += ch;
        }
      }
      out[y * w + x] = sum * norm;
    }
  }
  return { width: w, height: h, data: out };
}

/** A fresh rgb24 copy of the frame (gray is replicated to three channels). */
export function toRgb(frame: RawFrame): Uint8Array {
  if (frame.format === 'rgb24') return Uint8Array.from(frame.data);
  const n = frame.width * frame.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = frame.data[i]!;
    out[i * 3] = v;
    out[i * 3 + 1] = v;
    out[i * 3 + 2] = v;
  }
  return out;
}
