/**
 * Reads the fragmented MP4 the camera ingest's ffmpeg writes to a pipe (one fragment per frame):
 * the init segment (ftyp + moov) once, then one fragment (prft? + moof + mdat) per frame, with
 * whether it is a keyframe, its presentation time, and the producer reference time ffmpeg took
 * from the camera's RTCP sender reports. The bytes are handed on untouched; nothing is rewritten.
 */

export interface Fmp4Init {
  data: Buffer;
  /** Media timescale of the (first) track, ticks per second. */
  timescale: number;
  /** The sample-entry codec ('avc1', 'hvc1', 'hev1', ...). */
  codec: string;
}

export interface Fmp4Fragment {
  data: Buffer;
  keyframe: boolean;
  /** Presentation time of the fragment's first sample, in timescale ticks. */
  pts: number;
  /** Duration of the fragment's first sample in ticks (0 when not stated). */
  duration: number;
  /** The prft box: NTP wall-clock time (Unix ms) for media time `prftMediaTime`, or null. */
  prftMs: number | null;
  prftMediaTime: number | null;
}

const NTP_UNIX_OFFSET_S = 2_208_988_800;
const MAX_BOX = 64 * 1024 * 1024;

function u32(b: Buffer, o: number): number {
  return b.readUInt32BE(o);
}
function u64(b: Buffer, o: number): number {
  return Number(b.readBigUInt64BE(o));
}

/** Child boxes of a container box body: [type, start, end] (start after the header). */
function children(b: Buffer, start: number, end: number): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  let o = start;
  while (o + 8 <= end) {
    let size = u32(b, o);
    const type = b.toString('latin1', o + 4, o + 8);
    let header = 8;
    if (size === 1) {
      size = u64(b, o + 8);
      header = 16;
    }
    if (size < header || o + size > end) break;
    out.push([type, o + header, o + size]);
    o += size;
  }
  return out;
}

function find(b: Buffer, start: number, end: number, path: string[]): [number, number] | null {
  let range: [number, number] = [start, end];
  for (const name of path) {
    const hit = children(b, range[0], range[1]).find(([t]) => t === name);
    if (!hit) return null;
    range = [hit[1], hit[2]];
  }
  return range;
}

interface TrackDefaults {
  timescale: number;
  codec: string;
  trexFlags: number;
}

function parseMoov(b: Buffer, start: number, end: number): TrackDefaults {
  const mdhd = find(b, start, end, ['trak', 'mdia', 'mdhd']);
  let timescale = 90_000;
  if (mdhd) timescale = b[mdhd[0]] === 1 ? u32(b, mdhd[0] + 20) : u32(b, mdhd[0] + 12);
  const stsd = find(b, start, end, ['trak', 'mdia', 'minf', 'stbl', 'stsd']);
  const codec = stsd && stsd[1] - stsd[0] >= 16 ? b.toString('latin1', stsd[0] + 12, stsd[0] + 16) : 'unknown';
  const trex = find(b, start, end, ['mvex', 'trex']);
  const trexFlags = trex ? u32(b, trex[0] + 20) : 0;
  return { timescale, codec, trexFlags };
}

/** Keyframe and first-sample pts of a moof (first track fragment). */
function parseMoof(b: Buffer, start: number, end: number, trexFlags: number): { keyframe: boolean; pts: number; duration: number } {
  const traf = find(b, start, end, ['traf']);
  if (!traf) return { keyframe: false, pts: 0, duration: 0 };
  let defaultFlags = trexFlags;
  let duration = 0;
  let baseTime = 0;
  let firstFlags: number | null = null;
  let cts = 0;
  for (const [type, s] of children(b, traf[0], traf[1])) {
    if (type === 'tfhd') {
      const flags = u32(b, s) & 0xffffff;
      let o = s + 8;
      if (flags & 0x01) o += 8;
      if (flags & 0x02) o += 4;
      if (flags & 0x08) {
        duration = u32(b, o);
        o += 4;
      }
      if (flags & 0x10) o += 4;
      if (flags & 0x20) defaultFlags = u32(b, o);
    } else if (type === 'tfdt') {
      baseTime = b[s] === 1 ? u64(b, s + 4) : u32(b, s + 4);
    } else if (type === 'trun') {
      const version = b[s] ?? 0;
      const flags = u32(b, s) & 0xffffff;
      const count = u32(b, s + 4);
      let o = s + 8;
      if (flags & 0x01) o += 4;
      if (flags & 0x04) {
        firstFlags = u32(b, o);
        o += 4;
      }
      if (count > 0) {
        if (flags & 0x100) {
          duration = u32(b, o);
          o += 4;
        }
        if (flags & 0x200) o += 4;
        if (flags & 0x400) {
          if (firstFlags === null) firstFlags = u32(b, o);
          o += 4;
        }
        if (flags & 0x800) cts = version === 1 ? b.readInt32BE(o) : u32(b, o);
      }
    }
  }
  const sampleFlags = firstFlags ?? defaultFlags;
  // sample_is_non_sync_sample is bit 16 of the sample flags.
  return { keyframe: ((sampleFlags >>> 16) & 1) === 0, pts: baseTime + cts, duration };
}

function parsePrft(b: Buffer, s: number): { ms: number; mediaTime: number } {
  const version = b[s] ?? 0;
  const ntpSec = u32(b, s + 8);
  const ntpFrac = u32(b, s + 12);
  const mediaTime = version === 1 ? u64(b, s + 16) : u32(b, s + 16);
  const ms = (ntpSec - NTP_UNIX_OFFSET_S) * 1000 + (ntpFrac / 2 ** 32) * 1000;
  return { ms, mediaTime };
}

/** Push the pipe's bytes in; get the init segment and whole fragments out. */
export class Fmp4Splitter {
  private buf: Buffer = Buffer.alloc(0);
  private initParts: Buffer[] = [];
  private defaults: TrackDefaults | null = null;
  private pending: Buffer[] = [];
  private prft: { ms: number; mediaTime: number } | null = null;
  private moof: { keyframe: boolean; pts: number; duration: number } | null = null;
  init: Fmp4Init | null = null;

  constructor(
    private readonly onInit: (init: Fmp4Init) => void,
    private readonly onFragment: (fragment: Fmp4Fragment) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 8) return;
      let size = u32(this.buf, 0);
      let header = 8;
      if (size === 1) {
        if (this.buf.length < 16) return;
        size = u64(this.buf, 8);
        header = 16;
      }
      if (size < header || size > MAX_BOX) throw new Error(`unreadable MP4 box from ffmpeg (size ${size})`);
      if (this.buf.length < size) return;
      const box = this.buf.subarray(0, size);
      this.buf = this.buf.subarray(size);
      this.onBox(box.toString('latin1', 4, 8), Buffer.from(box), header);
    }
  }

  private onBox(type: string, box: Buffer, header: number): void {
    if (!this.init) {
      this.initParts.push(box);
      if (type === 'moov') {
        this.defaults = parseMoov(box, header, box.length);
        const data = Buffer.concat(this.initParts);
        this.initParts = [];
        this.init = { data, timescale: this.defaults.timescale, codec: this.defaults.codec };
        this.onInit(this.init);
      }
      return;
    }
    this.pending.push(box);
    if (type === 'prft') this.prft = parsePrft(box, header);
    else if (type === 'moof') this.moof = parseMoof(box, header, box.length, this.defaults?.trexFlags ?? 0);
    else if (type === 'mdat') {
      const moof = this.moof ?? { keyframe: false, pts: 0, duration: 0 };
      this.onFragment({
        data: Buffer.concat(this.pending),
        keyframe: moof.keyframe,
        pts: moof.pts,
        duration: moof.duration,
        prftMs: this.prft?.ms ?? null,
        prftMediaTime: this.prft?.mediaTime ?? null,
      });
      this.pending = [];
      this.prft = null;
      this.moof = null;
    }
  }
}
