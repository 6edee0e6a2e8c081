/**
 * The cheap gate in front of the person detector: frame differencing on a small grayscale copy
 * against a running-average background, a per-pixel threshold and a minimum blob (connected
 * component) size. A sudden change over most of the frame (lights switched on, the camera's IR
 * night mode, auto-exposure) is not motion: the background is re-seeded and nothing is reported.
 * A uniform brightness shift is also subtracted before thresholding, so slow exposure drift does
 * not wake the detector.
 *
 * Wind in foliage is motion but not a body: branches flicker and sway back and forth, while a
 * person's blob keeps its size and travels one way. So blobs are followed from frame to frame
 * (nearest centroid), and the gate reports `body` only for a blob seen in at least
 * `bodyFrames` of the recent frames whose centroid travelled at least `bodyTravel` of its own
 * height, coherently (net displacement over path length >= `bodyCoherence`). The pipeline runs
 * the model for bodies (and while people are tracked), not for every swaying tree.
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
  /** A body is a blob followed over at least this many frames... */
  bodyFrames?: number;
  /** ...whose centre moved at least this many blob heights... */
  bodyTravel?: number;
  /** ...in one direction: net displacement / path length at least this. */
  bodyCoherence?: number;
}

/** A blob in 0-1 frame coordinates. */
export interface Blob {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  size: number;
}

interface FollowedBlob {
  box: Blob;
  /** Centre positions (0-1) with their frame times, oldest first. */
  path: Array<{ ts: number; cx: number; cy: number }>;
  lastTs: number;
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
  /** A blob that moves like a body (persistent, travelling, coherent) is in this frame. */
  body: boolean;
  /** A body was seen within the cool-down. */
  bodyActive: boolean;
  /** The body blobs of this frame (0-1 frame coordinates): where to look. */
  bodies: Blob[];
}

export class MotionGate {
  private background: Float32Array | null = null;
  private dims = '';
  private active = false;
  private lastMotionTs = 0;
  private lastBodyTs = Number.NEGATIVE_INFINITY;
  private followed: FollowedBlob[] = [];

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
    this.followed = [];
  }

  update(frame: RawFrame, ts: number): MotionResult {
    const s = this.settings;
    const small = toSmallGray(frame, s.width);
    const dims = `${small.width}x${small.height}`;
    const bg = this.background;
    if (!bg || dims !== this.dims) {
      this.background = Float32Array.from(small.data);
      this.dims = dims;
      return this.finish(false, 0, false, ts, []);
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
      this.followed = [];
      return this.finish(false, 0, true, ts, []);
    }
    const blobs = changed === 0 ? [] : findBlobs(mask, small.width, small.height, Math.max(1, Math.ceil(s.minBlobArea * n)));
    const area = blobs.reduce((sum, b) => sum + b.size, 0) / n;
    const a = s.backgroundAlpha;
    for (let i = 0; i < n; i++) bg[i] = bg[i]! + a * (small.data[i]! - bg[i]!);
    const bodies = this.follow(
      blobs.map((b) => ({
        x1: b.x1 / small.width,
        y1: b.y1 / small.height,
        x2: (b.x2 + 1) / small.width,
        y2: (b.y2 + 1) / small.height,
        size: b.size / n,
      })),
      ts,
    );
    return this.finish(area > 0, area, false, ts, bodies);
  }

  /** Continue followed blobs with this frame's blobs; returns the ones that move like bodies. */
  private follow(blobs: Blob[], ts: number): Blob[] {
    const frames = this.settings.bodyFrames ?? 4;
    const travel = this.settings.bodyTravel ?? 0.3;
    const coherence = this.settings.bodyCoherence ?? 0.7;
    const windowMs = Math.max(1500, this.settings.cooldownMs);
    const used = new Set<FollowedBlob>();
    const bodies: Blob[] = [];
    const next: FollowedBlob[] = [];
    for (const b of blobs) {
      const cx = (b.x1 + b.x2) / 2;
      const cy = (b.y1 + b.y2) / 2;
      const h = b.y2 - b.y1;
      const w = b.x2 - b.x1;
      let best: FollowedBlob | null = null;
      let bestD = Number.POSITIVE_INFINITY;
      for (const f of this.followed) {
        if (used.has(f)) continue;
        const fw = f.box.x2 - f.box.x1;
        const fh = f.box.y2 - f.box.y1;
        // Same thing, roughly: similar size, centre within a blob size of where it was.
        if (b.size > f.box.size * 3 || f.box.size > b.size * 3) continue;
        const last = f.path[f.path.length - 1]!;
        const d = Math.hypot((cx - last.cx) / Math.max(w, fw), (cy - last.cy) / Math.max(h, fh));
        if (d < 1 && d < bestD) {
          best = f;
          bestD = d;
        }
      }
      const f: FollowedBlob = best ?? { box: b, path: [], lastTs: ts };
      used.add(f);
      f.box = b;
      f.lastTs = ts;
      f.path.push({ ts, cx, cy });
      while (f.path.length > 1 && ts - f.path[0]!.ts > windowMs) f.path.shift();
      next.push(f);
      if (f.path.length < frames) continue;
      let length = 0;
      for (let i = 1; i < f.path.length; i++) length += Math.hypot(f.path[i]!.cx - f.path[i - 1]!.cx, f.path[i]!.cy - f.path[i - 1]!.cy);
      const first = f.path[0]!;
      const net = Math.hypot(cx - first.cx, cy - first.cy);
      if (net >= travel * Math.max(h, 1e-6) && length > 0 && net / length >= coherence) bodies.push(b);
    }
    // A blob missed for one frame is kept a little while (a walker crossing the lamp post).
    for (const f of this.followed) if (!used.has(f) && ts - f.lastTs <= 600) next.push(f);
    this.followed = next.slice(0, 64);
    return bodies;
  }

  private finish(motion: boolean, area: number, lightingChange: boolean, ts: number, bodies: Blob[]): MotionResult {
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
    if (bodies.length > 0) this.lastBodyTs = ts;
    const bodyActive = ts - this.lastBodyTs < this.settings.cooldownMs;
    return { motion, active: this.active, started, stopped, area, lightingChange, body: bodies.length > 0, bodyActive, bodies };
  }
}

interface PixelBlob {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  size: number;
}

/** 8-connected blobs of at least `minBlob` pixels, with their bounding boxes (mask pixels). */
export function findBlobs(mask: Uint8Array, w: number, h: number, minBlob: number): PixelBlob[] {
  const seen = new Uint8Array(mask.length);
  const stack: number[] = [];
  const out: PixelBlob[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] !== 1 || seen[start] === 1) continue;
    const b: PixelBlob = { x1: w, y1: h, x2: 0, y2: 0, size: 0 };
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      b.size++;
      const x = p % w;
      const y = (p - x) / w;
      if (x < b.x1) b.x1 = x;
      if (x > b.x2) b.x2 = x;
      if (y < b.y1) b.y1 = y;
      if (y > b.y2) b.y2 = y;
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
    if (b.size >= minBlob) out.push(b);
  }
  return out;
}
