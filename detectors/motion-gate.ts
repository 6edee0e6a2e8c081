/**
 * The cheap gate in front of the person detector: frame differencing on a small grayscale copy
 * against a running-average background, a per-pixel threshold and a minimum blob (connected
 * component) size. A sudden change over most of the frame (lights switched on, the camera's IR
 * night mode, auto-exposure) is not motion: the background is re-seeded and nothing is reported.
 * A uniform brightness shift is also subtracted before thresholding, so slow exposure drift does
 * not wake the detector.
 */
import { type RawFrame, toSmallGray } from './frame-format.js';

export interface MotionSettings {
  /** Width of the small grayscale frame the gate works on. */
  width: number;
  /** Gray-level difference (0-255) that marks a pixel as changed. */
  pixelThreshold: number;
  /** Smallest blob that counts as motion, as a fraction of the frame. */
  minBlobArea: number;
  /** Running-average weight of each new frame in the background. */
  backgroundAlpha: number;
  /** More than this fraction of the frame changing at once is a lighting change, not motion. */
  globalChange: number;
  /** Motion ends after this long (frame time) without any. */
  cooldownMs: number;
}

export interface MotionResult {
  /** This frame has motion. */
  motion: boolean;
  /** The gate is open (motion now or within the cool-down). */
  active: boolean;
  started: boolean;
  stopped: boolean;
  /** Fraction of the frame covered by blobs big enough to count. */
  area: number;
  lightingChange: boolean;
}

export class MotionGate {
  private background: Float32Array | null = null;
  private dims = '';
  private active = false;
  private lastMotionTs = 0;

  constructor(private settings: MotionSettings) {}

  configure(settings: MotionSettings): void {
    this.settings = settings;
  }

  get isActive(): boolean {
    return this.active;
  }

  reset(): void {
    this.background = null;
    this.dims = '';
  }

  update(frame: RawFrame, ts: number): MotionResult {
    const s = this.settings;
    const small = toSmallGray(frame, s.width);
    const dims = `${small.width}x${small.height}`;
    const bg = this.background;
    if (!bg || dims !== this.dims) {
      this.background = Float32Array.from(small.data);
      this.dims = dims;
      return this.finish(false, 0, false, ts);
    }
    const n = small.data.length;
    let shift = 0;
    for (let i = 0; i < n; i++) shift += small.data[i]! - bg[i]!;
    shift /= n;
    const mask = new Uint8Array(n);
    let rawChanged = 0;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const d = small.data[i]! - bg[i]!;
      if (Math.abs(d) > s.pixelThreshold) rawChanged++;
      if (Math.abs(d - shift) > s.pixelThreshold) {
        mask[i] = 1;
        changed++;
      }
    }
    if (rawChanged > n * s.globalChange || changed > n * s.globalChange) {
      this.background = Float32Array.from(small.data);
      return this.finish(false, 0, true, ts);
    }
    const area = changed === 0 ? 0 : blobArea(mask, small.width, small.height, Math.max(1, Math.ceil(s.minBlobArea * n))) / n;
    const a = s.backgroundAlpha;
    for (let i = 0; i < n; i++) bg[i] = bg[i]! + a * (small.data[i]! - bg[i]!);
    return this.finish(area > 0, area, false, ts);
  }

  private finish(motion: boolean, area: number, lightingChange: boolean, ts: number): MotionResult {
    let started = false;
    let stopped = false;
    if (motion) {
      this.lastMotionTs = ts;
      if (!this.active) {
        this.active = true;
        started = true;
      }
    } else if (this.active && ts - this.lastMotionTs >= this.settings.cooldownMs) {
      this.active = false;
      stopped = true;
    }
    return { motion, active: this.active, started, stopped, area, lightingChange };
  }
}

/** Total pixels in 8-connected blobs of at least `minBlob` pixels. */
export function blobArea(mask: Uint8Array, w: number, h: number, minBlob: number): number {
  const seen = new Uint8Array(mask.length);
  const stack: number[] = [];
  let total = 0;
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] !== 1 || seen[start] === 1) continue;
    let size = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      size++;
      const x = p % w;
      const y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= w) continue;
          const q = ny * w + nx;
          if (mask[q] === 1 && seen[q] === 0) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    if (size >= minBlob) total += size;
  }
  return total;
}
