/**
 * Reads the fragmented MP4 the camera ingest's ffmpeg writes to a pipe (one fragment per frame,
 * or per audio packet): the init segment (ftyp + moov) once, with each track's kind, codec and
 * the codec string a browser's Media Source takes, then one fragment (prft? + moof + mdat) per
 * sample, with its track, whether it is a video keyframe, its presentation time, and the producer
 * reference time ffmpeg took from the camera's RTCP sender reports. The bytes are handed on
 * untouched; nothing is rewritten.
 */

import { open } from 'node:fs/promises';

export type TrackKind = 'video' | 'audio' | 'other';

export interface Fmp4Track {
  id: number;
  kind: TrackKind;
  /** Ticks per second of this track's media time. */
  timescale: number;
  /** The sample-entry codec ('avc1', 'hvc1', 'mp4a', ...). */
  codec: string;
  /** The RFC 6381 codec string a browser's Media Source needs ('avc1.64001f', 'mp4a.40.2'), or null. */
  mime: string | null;
}

export interface Fmp4Init {
  data: Buffer;
  /** Media timescale of the video track, ticks per second. */
  timescale: number;
  /** The video sample-entry codec ('avc1', 'hvc1', 'hev1', ...). */
  codec: string;
  /** Every track, video first as ffmpeg maps it. */
  tracks: Fmp4Track[];
  /** The audio track, when the stream carries one. */
  audio: Fmp4Track | null;
}

export interface Fmp4Fragment {
  data: Buffer;
  /** Which kind of track the fragment's samples belong to (one track per fragment, as ffmpeg writes them). */
  kind: TrackKind;
  /** A video keyframe (always false for audio: a consumer starts at a video keyframe). */
  keyframe: boolean;
  /** Presentation time of the fragment's first sample, in its track's timescale ticks. */
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

const hex2 = (n: number | undefined) => (n ?? 0).toString(16).padStart(2, '0');

/** RFC 6381 codec string from a sample entry (box body range of the stsd's first entry). */
function mimeCodec(b: Buffer, entry: number, end: number, codec: string): string | null {
  if (codec === 'avc1' || codec === 'avc3') {
    // VisualSampleEntry: 78 bytes of fields before its child boxes.
    const avcC = find(b, entry + 78, end, ['avcC']);
    if (!avcC || avcC[1] - avcC[0] < 4) return null;
    return `${codec}.${hex2(b[avcC[0] + 1])}${hex2(b[avcC[0] + 2])}${hex2(b[avcC[0] + 3])}`;
  }
  if (codec === 'hvc1' || codec === 'hev1') {
    const hvcC = find(b, entry + 78, end, ['hvcC']);
    if (!hvcC || hvcC[1] - hvcC[0] < 13) return null;
    const o = hvcC[0];
    const p = b[o + 1] ?? 0;
    const space = ['', 'A', 'B', 'C'][p >> 6];
    const tier = p & 0x20 ? 'H' : 'L';
    // The compatibility flags, bit-reversed, in hex.
    let compat = u32(b, o + 2);
    let rev = 0;
    for (let i = 0; i < 32; i++) {
      rev = (rev << 1) | (compat & 1);
      compat >>>= 1;
    }
    const constraints: string[] = [];
    for (let i = 0; i < 6; i++) constraints.push((b[o + 6 + i] ?? 0).toString(16).toUpperCase());
    while (constraints.length > 0 && constraints[constraints.length - 1] === '0') constraints.pop();
    const parts = [codec, `${space}${p & 0x1f}`, (rev >>> 0).toString(16).toUpperCase(), `${tier}${b[o + 12] ?? 0}`, ...constraints];
    return parts.join('.');
  }
  if (codec === 'mp4a') {
    // AudioSampleEntry: 28 bytes before its children; esds: a full box of MPEG-4 descriptors.
    const esds = find(b, entry + 28, end, ['esds']);
    if (!esds) return 'mp4a.40.2';
    return aacCodec(b.subarray(esds[0] + 4, esds[1]));
  }
  if (codec === 'Opus') return 'opus';
  return null;
}

/** A descriptor at `at`: its tag and body range (the size is up to four 7-bit bytes). */
function descriptor(d: Buffer, at: number): { tag: number; body: number; end: number } | null {
  if (at >= d.length) return null;
  let size = 0;
  let o = at + 1;
  for (let i = 0; i < 4 && o < d.length; i++) {
    const byte = d[o++] ?? 0;
    size = (size << 7) | (byte & 0x7f);
    if ((byte & 0x80) === 0) return { tag: d[at] ?? 0, body: o, end: Math.min(d.length, o + size) };
  }
  return null;
}

/** 'mp4a.40.<audio object type>' from an esds body (ISO 14496-1 descriptors). */
function aacCodec(d: Buffer): string {
  const es = descriptor(d, 0);
  if (es?.tag !== 0x03) return 'mp4a.40.2';
  const flags = d[es.body + 2] ?? 0;
  let o = es.body + 3;
  if (flags & 0x80) o += 2;
  if (flags & 0x40) o += 1 + (d[o] ?? 0);
  if (flags & 0x20) o += 2;
  const config = descriptor(d, o);
  if (config?.tag !== 0x04) return 'mp4a.40.2';
  const oti = d[config.body] ?? 0x40;
  if (oti !== 0x40) return `mp4a.${hex2(oti)}`;
  const info = descriptor(d, config.body + 13);
  if (info?.tag !== 0x05) return 'mp4a.40.2';
  const aot = (d[info.body] ?? 0x10) >> 3;
  return `mp4a.40.${aot || 2}`;
}

interface TrackDefaults extends Fmp4Track {
  trexFlags: number;
}

const KINDS: Record<string, TrackKind> = { vide: 'video', soun: 'audio' };

function parseTrak(b: Buffer, start: number, end: number): Omit<TrackDefaults, 'trexFlags'> {
  const tkhd = find(b, start, end, ['tkhd']);
  const id = tkhd ? u32(b, tkhd[0] + (b[tkhd[0]] === 1 ? 20 : 12)) : 1;
  const hdlr = find(b, start, end, ['mdia', 'hdlr']);
  const kind = (hdlr && KINDS[b.toString('latin1', hdlr[0] + 8, hdlr[0] + 12)]) || 'other';
  const mdhd = find(b, start, end, ['mdia', 'mdhd']);
  let timescale = 90_000;
  if (mdhd) timescale = b[mdhd[0]] === 1 ? u32(b, mdhd[0] + 20) : u32(b, mdhd[0] + 12);
  const stsd = find(b, start, end, ['mdia', 'minf', 'stbl', 'stsd']);
  let codec = 'unknown';
  let mime: string | null = null;
  if (stsd && stsd[1] - stsd[0] >= 16) {
    const entry = children(b, stsd[0] + 8, stsd[1])[0];
    codec = b.toString('latin1', stsd[0] + 12, stsd[0] + 16);
    if (entry) mime = mimeCodec(b, entry[1], entry[2], codec);
  }
  return { id, kind, timescale, codec, mime };
}

function parseMoov(b: Buffer, start: number, end: number): TrackDefaults[] {
  const trex = new Map<number, number>();
  const mvex = find(b, start, end, ['mvex']);
  if (mvex) for (const [t, s] of children(b, mvex[0], mvex[1])) if (t === 'trex') trex.set(u32(b, s + 4), u32(b, s + 20));
  return children(b, start, end)
    .filter(([t]) => t === 'trak')
    .map(([, s, e]) => {
      const track = parseTrak(b, s, e);
      return { ...track, trexFlags: trex.get(track.id) ?? 0 };
    });
}

interface MoofFacts {
  track: number;
  keyframe: boolean;
  pts: number;
  duration: number;
}

/**
 * Track, keyframe and first-sample pts of a moof. With sound, ffmpeg may put a video and an
 * audio sample in one moof (a track fragment each): the video one then speaks for it.
 */
function parseMoof(b: Buffer, start: number, end: number, tracks: TrackDefaults[]): MoofFacts {
  const trafs = children(b, start, end).filter(([t]) => t === 'traf');
  const facts = trafs.map(([, s, e]) => parseTraf(b, s, e, tracks));
  const kindOf = (f: MoofFacts) => tracks.find((t) => t.id === f.track)?.kind;
  return facts.find((f) => kindOf(f) === 'video') ?? facts[0] ?? { track: 0, keyframe: false, pts: 0, duration: 0 };
}

function parseTraf(b: Buffer, start: number, end: number, tracks: TrackDefaults[]): MoofFacts {
  const traf: [number, number] = [start, end];
  const tfhd = find(b, traf[0], traf[1], ['tfhd']);
  const track = tfhd ? u32(b, tfhd[0] + 4) : 0;
  const trexFlags = tracks.find((t) => t.id === track)?.trexFlags ?? 0;
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
  return { track, keyframe: ((sampleFlags >>> 16) & 1) === 0, pts: baseTime + cts, duration };
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
  private tracks: TrackDefaults[] = [];
  private pending: Buffer[] = [];
  private prft: { ms: number; mediaTime: number } | null = null;
  private moof: MoofFacts | null = null;
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
        this.tracks = parseMoov(box, header, box.length);
        const data = Buffer.concat(this.initParts);
        this.initParts = [];
        const tracks = this.tracks.map(({ trexFlags: _, ...t }) => t);
        const video = tracks.find((t) => t.kind === 'video') ?? tracks[0];
        this.init = {
          data,
          timescale: video?.timescale ?? 90_000,
          codec: video?.codec ?? 'unknown',
          tracks,
          audio: tracks.find((t) => t.kind === 'audio') ?? null,
        };
        this.onInit(this.init);
      }
      return;
    }
    this.pending.push(box);
    if (type === 'prft') this.prft = parsePrft(box, header);
    else if (type === 'moof') this.moof = parseMoof(box, header, box.length, this.tracks);
    else if (type === 'mdat') {
      const moof = this.moof ?? { track: 0, keyframe: false, pts: 0, duration: 0 };
      const kind = this.tracks.find((t) => t.id === moof.track)?.kind ?? (this.tracks.length === 1 ? 'video' : 'other');
      this.onFragment({
        data: Buffer.concat(this.pending),
        kind,
        keyframe: kind === 'video' && moof.keyframe,
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

/** Whether an MP4 file carries sound; null when the file is not there. */
export async function mp4HasSound(source: string | RangeSource): Promise<boolean | null> {
  try {
    return (await mp4TrackKinds(source)).includes('audio');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Positioned reads from a file of known size (a plain file, or a sealed one opened with a key). */
export interface RangeSource {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
}

/**
 * The kinds of track an MP4 file holds (video, audio), read from its moov box without reading
 * the media: top-level box headers are walked with positioned reads.
 */
export async function mp4TrackKinds(source: string | RangeSource): Promise<TrackKind[]> {
  if (typeof source !== 'string') return trackKindsOf(source, 'the file');
  const fh = await open(source, 'r');
  try {
    const size = (await fh.stat()).size;
    return await trackKindsOf(
      {
        size,
        read: async (position, length) => {
          const b = Buffer.alloc(length);
          const { bytesRead } = await fh.read(b, 0, length, position);
          return b.subarray(0, bytesRead);
        },
      },
      source,
    );
  } finally {
    await fh.close();
  }
}

async function trackKindsOf(src: RangeSource, name: string): Promise<TrackKind[]> {
  const { size } = src;
  let o = 0;
  while (o + 8 <= size) {
    const head = Buffer.alloc(16);
    (await src.read(o, Math.min(16, size - o))).copy(head);
    let boxSize = u32(head, 0);
    let header = 8;
    if (boxSize === 1) {
      boxSize = u64(head, 8);
      header = 16;
    } else if (boxSize === 0) boxSize = size - o;
    if (boxSize < header) break;
    if (head.toString('latin1', 4, 8) === 'moov') {
      if (boxSize > MAX_BOX) throw new Error(`moov box of ${boxSize} bytes in ${name}`);
      const moov = await src.read(o, boxSize);
      return parseMoov(moov, header, boxSize).map((t) => t.kind);
    }
    o += boxSize;
  }
  return [];
}
