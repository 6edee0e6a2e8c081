/**
 * Turning segments into an evidence clip: the segments covering [start, end] are joined with the
 * concat demuxer and copied (no re-encode) into an MP4 with faststart, so it plays in browsers
 * and stays the camera's native pictures. The file is written under a temporary name, hashed
 * (SHA-256) and made read-only before it gets its real name: nobody can read a clip whose hash
 * has not been taken. The JPEG snapshot at the event moment is hashed the same way.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../api/errors.js';
import { type TsVideoCodec, tsVideoCodec } from '../media/ts-codec.js';
import type { SegmentRecord } from './segment-store.js';

export interface WrittenFile {
  /** Relative to the data folder. */
  path: string;
  sha256: string;
  size: number;
}

export interface ClipFiles {
  video: WrittenFile;
  snapshot: WrittenFile | null;
  /** Wall-clock span the chosen segments really cover. */
  startTs: number;
  endTs: number;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err)
        reject(new HubError('HUB_ERR_CLIP', `ffmpeg failed: ${String(stderr).trim().split('\n').slice(-3).join(' | ')}`, { cause: err }));
      else resolve(String(stderr));
    });
  });
}

/** Hash a finished temporary file, make it read-only and move it to its final name. */
async function publish(tmp: string, final: string, dataDir: string): Promise<WrittenFile> {
  const sha256 = await sha256File(tmp);
  const { size } = await stat(tmp);
  await chmod(tmp, 0o440);
  await rename(tmp, final);
  return { path: final.slice(dataDir.length + 1), sha256, size };
}

export async function writeClip(opts: {
  ffmpegPath: string;
  dataDir: string;
  clipId: string;
  cameraId: string;
  segments: SegmentRecord[];
  eventTs: number;
  day: string;
}): Promise<ClipFiles> {
  const { ffmpegPath, dataDir, clipId, cameraId, segments } = opts;
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (!first || !last)
    throw new HubError('HUB_ERR_CLIP', `no recorded segments for camera ${cameraId} in the clip window`, {
      // Another attempt cannot find footage that was never recorded or is gone.
      details: { retryable: false },
    });
  const dir = join(dataDir, 'clips', cameraId, opts.day);
  await mkdir(dir, { recursive: true });
  const list = join(dir, `.${clipId}.concat.txt`);
  const tmpVideo = join(dir, `.${clipId}.mp4.part`);
  const finalVideo = join(dir, `${clipId}.mp4`);
  await writeConcatList(list, dataDir, segments);
  try {
    const codec = await tsVideoCodec(join(dataDir, first.path));
    await run(ffmpegPath, remuxArgs(list, first.startTs, tmpVideo, codec), 120_000);
    const video = await publish(tmpVideo, finalVideo, dataDir);
    const snapshot = await writeSnapshot(ffmpegPath, dataDir, dir, clipId, segments, opts.eventTs);
    return { video, snapshot, startTs: first.startTs, endTs: last.endTs };
  } catch (err) {
    await rm(tmpVideo, { force: true });
    throw err;
  } finally {
    await rm(list, { force: true });
  }
}

/** The frame at the event moment, from the segment that holds it (a JPEG, hashed like the clip). */
async function writeSnapshot(
  ffmpegPath: string,
  dataDir: string,
  dir: string,
  clipId: string,
  segments: SegmentRecord[],
  eventTs: number,
): Promise<WrittenFile> {
  const seg = segments.find((s) => s.startTs <= eventTs && s.endTs > eventTs) ?? segments[Math.floor(segments.length / 2)];
  if (!seg) throw new HubError('HUB_ERR_CLIP', 'no segment for the snapshot');
  const offset = Math.max(0, Math.min(eventTs - seg.startTs, seg.endTs - seg.startTs - 200)) / 1000;
  const tmp = join(dir, `.${clipId}.jpg.part`);
  const grab = (seconds: number) =>
    run(
      ffmpegPath,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-ss',
        seconds.toFixed(3),
        '-i',
        join(dataDir, seg.path),
        '-frames:v',
        '1',
        '-update',
        '1',
        '-q:v',
        '3',
        '-f',
        'image2',
        '-c:v',
        'mjpeg',
        '-y',
        tmp,
      ],
      30_000,
    );
  await grab(offset);
  // The measured wall-clock span can run a little past the file's own length: take its first frame then.
  if (!existsSync(tmp)) await grab(0);
  if (!existsSync(tmp)) throw new HubError('HUB_ERR_CLIP', `no frame could be read from segment ${seg.path} for the snapshot`);
  return publish(tmp, join(dir, `${clipId}.jpg`), dataDir);
}

export function dayFolder(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** The ffmpeg concat list for segments; single quotes in a path are escaped as the demuxer expects. */
export async function writeConcatList(list: string, dataDir: string, segments: readonly { path: string }[]): Promise<void> {
  const quote = (p: string) => `'${p.replace(/'/g, "'\\''")}'`;
  await writeFile(list, segments.map((s) => `file ${quote(join(dataDir, s.path))}\n`).join(''));
}

/**
 * Segments to one MP4 without re-encoding (video copied, remuxed), stamped with the recording's
 * start by the hub clock so players and examiners see when it was filmed. Clips and evidence
 * window exports use the same arguments.
 */
export function remuxArgs(list: string, startTs: number, out: string, codec: TsVideoCodec | null = null): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-map',
    '0:v',
    // The sound, when the segments carry it (AAC: copied; ADTS headers become the MP4 config).
    '-map',
    '0:a?',
    '-c',
    'copy',
    // H.265 as `hvc1` (parameter sets in the sample entry), which QuickTime, Safari and iOS
    // play; ffmpeg's default `hev1` only plays elsewhere. The bitstream is untouched.
    ...(codec === 'hevc' ? ['-tag:v', 'hvc1'] : []),
    '-metadata',
    `creation_time=${new Date(startTs).toISOString()}`,
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '-y',
    out,
  ];
}
