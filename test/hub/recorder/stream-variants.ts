/**
 * Streams as cameras send them, built once per machine from the fixture clips with ffmpeg (x264 /
 * x265) and cached in the temp folder: H.264 profiles with and without B-frames, open and closed
 * GOPs, short and long keyframe intervals, H.265, 720p to 4K at 10-30 fps. The RTSP simulator then
 * serves each file as it is (`-c copy`): what reaches the hub is exactly what was encoded.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PEOPLE_CLIP = fileURLToPath(new URL('../../fixtures/media/people-walking-768x576-10fps.mp4', import.meta.url));

export interface StreamVariant {
  name: string;
  codec: 'h264' | 'hevc';
  /** x264 profile (H.264 only). */
  profile?: 'baseline' | 'main' | 'high';
  bframes: number;
  openGop: boolean;
  /** Keyframe interval in seconds. */
  keyframeSeconds: number;
  width: number;
  height: number;
  fps: number;
  /** Seconds of the people clip to use (the simulator loops it). */
  seconds: number;
}

export function variantName(v: Omit<StreamVariant, 'name'>): string {
  const prof = v.codec === 'h264' ? `-${v.profile ?? 'main'}` : '';
  return `${v.codec}${prof}-bf${v.bframes}-${v.openGop ? 'open' : 'closed'}-k${v.keyframeSeconds}s-${v.width}x${v.height}@${v.fps}`;
}

export function variant(v: Omit<StreamVariant, 'name'>): StreamVariant {
  return { ...v, name: variantName(v) };
}

/** The encoded file for a variant (built on first use). */
export async function buildVariant(v: StreamVariant): Promise<string> {
  const out = join(tmpdir(), `sanctuary-variant-${v.name}-${v.seconds}s.mp4`);
  if (existsSync(out)) return out;
  const gop = Math.max(1, Math.round(v.keyframeSeconds * v.fps));
  const scale = `scale=${v.width}:${v.height},fps=${v.fps}`;
  const codec =
    v.codec === 'h264'
      ? [
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-profile:v',
          v.profile ?? 'main',
          '-bf',
          String(v.profile === 'baseline' ? 0 : v.bframes),
          '-g',
          String(gop),
          '-keyint_min',
          String(gop),
          '-sc_threshold',
          '0',
          '-x264-params',
          `open-gop=${v.openGop ? 1 : 0}`,
          '-crf',
          '28',
        ]
      : [
          '-c:v',
          'libx265',
          '-preset',
          'ultrafast',
          '-x265-params',
          `log-level=error:bframes=${v.bframes}:keyint=${gop}:min-keyint=${gop}:scenecut=0:open-gop=${v.openGop ? 1 : 0}`,
          '-crf',
          '30',
          '-tag:v',
          'hvc1',
        ];
  const part = `${out}.${process.pid}.part.mp4`;
  await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-t',
      String(v.seconds),
      '-i',
      PEOPLE_CLIP,
      '-vf',
      scale,
      '-pix_fmt',
      'yuv420p',
      ...codec,
      '-an',
      part,
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  await rename(part, out);
  return out;
}

export interface StreamFacts {
  codec: string;
  /** The sample entry / codec tag as the container names it (avc1, hvc1, hev1; [27][0][0][0] in MPEG-TS). */
  tag: string;
  profile: string;
  hasBFrames: boolean;
  width: number;
  height: number;
}

/** What a file really holds: codec, profile, and whether any frame is a B-frame. */
export async function streamFacts(path: string): Promise<StreamFacts> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,codec_tag_string,profile,width,height:frame=pict_type',
      '-of',
      'json',
      path,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const j = JSON.parse(stdout) as {
    streams: Array<{ codec_name: string; codec_tag_string: string; profile: string; width: number; height: number }>;
    frames?: Array<{ pict_type: string }>;
  };
  const s = j.streams[0];
  if (!s) throw new Error(`${path} has no video stream`);
  return {
    codec: s.codec_name,
    tag: s.codec_tag_string,
    profile: s.profile,
    hasBFrames: (j.frames ?? []).some((f) => f.pict_type === 'B'),
    width: s.width,
    height: s.height,
  };
}
