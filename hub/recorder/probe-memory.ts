/**
 * Fast start: what the last connection showed about a camera's streams, kept so the next
 * (re)connect can skip most of ffmpeg's stream probing.
 *
 * Probing is what holds a connection up once the camera's first keyframe has arrived: ffmpeg
 * reads on (half a second of stream with `PROBE_ARGS`) to learn what the SDP does not say. For a
 * stream whose frames come in display order (no B-frames) the SDP's parameter sets and the first
 * keyframe say everything, and a 32-byte probe is enough. With B-frames it is not: the parser
 * needs a few frames to learn the reordering, and without them ffmpeg guesses decode times that
 * go backwards, which would spoil the recording. So the fast probe is used only for a stream the
 * previous connection saw long enough, with frames in display order; a fast connection that
 * yields no frame, or that sees reordered frames after all (the installer turned B-frames on),
 * forgets what was learned and the next connection probes in full.
 *
 * What was learned is kept per camera and stream role (main, sub) in
 * `<data dir>/recorder/fast-start/<camera>.json`, so the first connection after a restart or a
 * power cut starts fast too. The file holds only "this stream had no B-frames": no URL, no secret.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import type { Fmp4Fragment } from '../media/fmp4.js';

/** Full probe: enough for the SPS/PPS and one keyframe at 4K, reordering included. */
export const PROBE_ARGS = ['-probesize', '524288', '-analyzeduration', '500000'];
/** Fast probe: the first packet is enough when the SDP and the keyframe say everything. */
export const FAST_PROBE_ARGS = ['-probesize', '32', '-analyzeduration', '0'];

/** Fragments a full-probe connection must show before its streams count as known. */
export const LEARN_FRAGMENTS = 30;
/** Codecs whose parameter sets ffmpeg takes from the SDP (sprop-parameter-sets / sprop-vps...). */
const FAST_CODECS = new Set(['avc1', 'avc3', 'hvc1', 'hev1']);

interface Count {
  frames: number;
  /** Frames shown before the one decoded ahead of them (presentation time going back): B-frames. */
  reordered: number;
  lastPts: number | null;
}

export type ProbeVerdict = 'ok' | 'restart';

/** What is kept between runs: stream role -> its frames came in display order. */
export type LearnedStreams = Record<string, boolean>;

export class ProbeMemory {
  /** Stream (its role: main, sub) -> frames come in display order. */
  private readonly inOrder: Map<string, boolean>;
  private counts = new Map<string, Count>();
  private fast = false;

  /** `learned`: what an earlier run kept; `onChange` is told each time that changes (to keep it). */
  constructor(
    learned: LearnedStreams = {},
    private readonly onChange: (learned: LearnedStreams) => void = () => undefined,
  ) {
    this.inOrder = new Map(Object.entries(learned).filter((e): e is [string, boolean] => typeof e[1] === 'boolean'));
  }

  /** A connection starts with these streams: whether it may probe fast (every one known in order). */
  begin(streams: string[]): boolean {
    this.counts = new Map(streams.map((s) => [s, { frames: 0, reordered: 0, lastPts: null }]));
    this.fast = streams.length > 0 && streams.every((s) => this.inOrder.get(s) === true);
    return this.fast;
  }

  get fastThisRun(): boolean {
    return this.fast;
  }

  /**
   * A fragment of a stream, with the codec its init segment named. 'restart': this fast
   * connection has reordered frames after all, so its decode times are guesses; reconnect with
   * the full probe.
   */
  observe(stream: string, fragment: Fmp4Fragment, codec: string | null): ProbeVerdict {
    const c = this.counts.get(stream);
    if (!c) return 'ok';
    c.frames++;
    // Out of display order: a presentation time before the last one. (Decode times are no proof:
    // ffmpeg repairs a jittery RTP stamp of a plain stream by nudging its decode time.)
    if (c.lastPts !== null && fragment.pts < c.lastPts) c.reordered++;
    c.lastPts = fragment.pts;
    if (this.fast) {
      // One odd stamp can be a repaired timestamp; B-frames show every few frames.
      if (c.reordered >= 2) {
        this.forget();
        return 'restart';
      }
      return 'ok';
    }
    if (c.frames === LEARN_FRAGMENTS) {
      // More than one frame in 15 out of order: B-frames (one B-frame per GOP of 15 is the least).
      const inOrder = codec !== null && FAST_CODECS.has(codec) && c.reordered * 15 <= c.frames;
      if (this.inOrder.get(stream) !== inOrder) {
        this.inOrder.set(stream, inOrder);
        this.onChange(Object.fromEntries(this.inOrder));
      }
    }
    return 'ok';
  }

  /** A fast connection ended before any frame: the stream is not what it was; probe in full. */
  failedBeforeFrames(): boolean {
    if (!this.fast) return false;
    this.forget();
    return true;
  }

  private forget(): void {
    this.inOrder.clear();
    this.fast = false;
    this.onChange({});
  }
}

/** The file that keeps a camera's learned streams (camera ids are safe file names: [a-z0-9_-]). */
export function learnedStreamsFile(dataDir: string, cameraId: string): string {
  return join(dataDir, 'recorder', 'fast-start', `${cameraId}.json`);
}

/** What an earlier run learned about a camera's streams; nothing (probe in full) when unreadable. */
export function readLearnedStreams(file: string, log: Logger): LearnedStreams {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn({ file, err: describeError(err) }, 'cannot read the fast-start file; probing in full');
    return {};
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as LearnedStreams;
    throw new Error('not an object');
  } catch (err) {
    log.warn({ file, err: describeError(err) }, 'unreadable fast-start file; probing in full');
    return {};
  }
}

/** Keep what was learned (temp file then rename: a power cut leaves the old file or the new one). */
export async function writeLearnedStreams(file: string, learned: LearnedStreams): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const part = `${file}.part`;
  await writeFile(part, `${JSON.stringify(learned)}\n`);
  await rename(part, file);
}
