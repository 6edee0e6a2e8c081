/**
 * For the browser only (the recorded data is never touched): a keyframe in several slices can
 * come out of ffmpeg's RTP input (`-c copy`) as one sample per slice, each one tick after the
 * last, when the stream puts an access-unit delimiter and SPS/PPS before every slice (the
 * GStreamer simulator's chain does; by the H.264 rules each then starts a new picture). ffmpeg's own decoder puts them back together; Chromium's Media Source
 * decodes each as a picture of its own and shows the stream torn until the next keyframe. Here
 * such a run of fragments becomes one fragment with one sample holding every slice (the NAL
 * units, length-prefixed, simply follow each other), at the first slice's time with the run's
 * whole duration.
 */
import type { Fmp4Fragment } from '../media/fmp4.js';

/** Further apart than this (ticks), two keyframe samples are two frames. */
const SAME_FRAME_TICKS = 2;

interface Box {
  type: string;
  start: number;
  header: number;
  end: number;
}

function boxes(b: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let o = start;
  while (o + 8 <= end) {
    const size = b.readUInt32BE(o);
    if (size < 8 || o + size > end) break;
    out.push({ type: b.toString('latin1', o + 4, o + 8), start: o, header: 8, end: o + size });
    o += size;
  }
  return out;
}

/** Where a one-track fragment's sample size and duration are written, or null when it is not that simple. */
function layout(f: Fmp4Fragment): { moof: Box; mdat: Box; sizeAt: number; durationAt: number | null } | null {
  const top = boxes(f.data, 0, f.data.length);
  const moof = top.find((x) => x.type === 'moof');
  const mdat = top.find((x) => x.type === 'mdat');
  if (!moof || !mdat || mdat.start < moof.end) return null;
  const trafs = boxes(f.data, moof.start + 8, moof.end).filter((x) => x.type === 'traf');
  if (trafs.length !== 1 || !trafs[0]) return null;
  const inner = boxes(f.data, trafs[0].start + 8, trafs[0].end);
  const tfhd = inner.find((x) => x.type === 'tfhd');
  const trun = inner.find((x) => x.type === 'trun');
  if (!tfhd || !trun) return null;
  const t = trun.start + 8;
  const flags = f.data.readUInt32BE(t) & 0xffffff;
  if (f.data.readUInt32BE(t + 4) !== 1) return null;
  let o = t + 8;
  if (flags & 0x01) o += 4;
  if (flags & 0x04) o += 4;
  let durationAt: number | null = null;
  let sizeAt: number | null = null;
  if (flags & 0x100) {
    durationAt = o;
    o += 4;
  }
  if (flags & 0x200) sizeAt = o;
  // Defaults in the tfhd when the trun does not state them.
  const h = tfhd.start + 8;
  const hflags = f.data.readUInt32BE(h) & 0xffffff;
  let p = h + 8;
  if (hflags & 0x01) p += 8;
  if (hflags & 0x02) p += 4;
  if (hflags & 0x08) {
    if (durationAt === null) durationAt = p;
    p += 4;
  }
  if (hflags & 0x10 && sizeAt === null) sizeAt = p;
  if (sizeAt === null) return null;
  return { moof, mdat, sizeAt, durationAt };
}

/** One fragment from a run of keyframe slices (the first one's boxes, every slice's data), or null when they are not that simple. */
export function mergeSlices(run: Fmp4Fragment[]): Fmp4Fragment | null {
  const first = run[0];
  if (!first) return null;
  if (run.length === 1) return first;
  const parts = run.map(layout);
  const lead = parts[0];
  if (!lead || parts.some((p) => p === null)) return null;
  const payloads = run.map((f, i) => {
    const p = parts[i];
    return p ? f.data.subarray(p.mdat.start + 8, p.mdat.end) : Buffer.alloc(0);
  });
  const size = payloads.reduce((n, b) => n + b.length, 0);
  const head = Buffer.from(first.data.subarray(0, lead.mdat.start));
  head.writeUInt32BE(size, lead.sizeAt);
  const duration = run.reduce((n, f) => n + f.duration, 0);
  if (lead.durationAt !== null) head.writeUInt32BE(duration, lead.durationAt);
  const mdatHeader = Buffer.alloc(8);
  mdatHeader.writeUInt32BE(size + 8, 0);
  mdatHeader.write('mdat', 4, 'latin1');
  return { ...first, data: Buffer.concat([head, mdatHeader, ...payloads]), duration };
}

/** Holds a keyframe until the next fragment shows whether more slices of it follow. */
export class SliceMerger {
  private held: Fmp4Fragment[] = [];

  constructor(private readonly out: (f: Fmp4Fragment) => void) {}

  push(f: Fmp4Fragment): void {
    const last = this.held.at(-1);
    if (last && f.kind === 'video' && f.keyframe && f.pts - last.pts >= 0 && f.pts - last.pts <= SAME_FRAME_TICKS) {
      this.held.push(f);
      return;
    }
    this.flush();
    if (f.kind === 'video' && f.keyframe) this.held.push(f);
    else this.out(f);
  }

  /** A new init: what was held belongs to the old stream and is dropped. */
  reset(): void {
    this.held = [];
  }

  private flush(): void {
    if (this.held.length === 0) return;
    const run = this.held;
    this.held = [];
    const merged = mergeSlices(run);
    // Not mergeable (several tracks in a moof, an unusual trun): passed on as they came.
    if (merged) this.out(merged);
    else for (const f of run) this.out(f);
  }
}
