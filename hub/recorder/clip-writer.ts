/**
 * Turning segments into an evidence clip: the segments covering [start, end] are joined with the
 * concat demuxer and copied (no re-encode) into an MP4 with faststart, so it plays in browsers
 * and stays the camera's native pictures. The cut happens in the vault's RAM workspace; the clip
 * is then sealed to the card (`<id>.mp4.age`, age X25519 to the owner and the boot key), hashed
 * (SHA-256 of the MP4 itself, taken as it is sealed) and made read-only under its final name in
 * one step: nobody can read a clip whose hash has not been taken, and no plaintext MP4 reaches
 * the card. The JPEG snapshot at the event moment is made and sealed the same way.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../api/errors.js';
import { type TsVideoCodec, tsVideoCodec } from '../media/ts-codec.js';
import { isSealedPath, PlainWorkspace, SEALED_SUFFIX } from '../vault/plain-copies.js';
import type { Vault } from '../vault/vault.js';
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

/** Seals a finished plaintext working file to the card under its final name (`<name>.age`). */
async function publish(vault: Vault, tmp: string, final: string, dataDir: string): Promise<WrittenFile> {
  const sealed = `${final}${SEALED_SUFFIX}`;
  // Replaces what an earlier attempt left under this id before its row was stored (the same cut).
  const w = await vault.sealFile(tmp, sealed, 0o440);
  return { path: sealed.slice(dataDir.length + 1), sha256: w.sha256, size: w.plainSize };
}

/**
 * The segments as files ffmpeg can read: those in the RAM buffer as they are, sealed ones (kept
 * on the card under a hold or continuous recording) opened into the workspace with the boot key
 * (or a signed-in owner's key; after a power cut, only that).
 */
async function plainSegments(vault: Vault, ws: PlainWorkspace, dataDir: string, segments: SegmentRecord[]): Promise<{ path: string }[]> {
  const out: { path: string }[] = [];
  for (const [i, s] of segments.entries()) {
    const abs = join(dataDir, s.path);
    out.push({ path: isSealedPath(s.path) ? await ws.materialise(await vault.openForHub(abs), `${i}.ts`) : abs });
  }
  return out;
}

export async function writeClip(opts: {
  ffmpegPath: string;
  dataDir: string;
  vault: Vault;
  clipId: string;
  cameraId: string;
  segments: SegmentRecord[];
  eventTs: number;
  day: string;
}): Promise<ClipFiles> {
  const { ffmpegPath, dataDir, clipId, cameraId, segments, vault } = opts;
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (!first || !last)
    throw new HubError('HUB_ERR_CLIP', `no recorded segments for camera ${cameraId} in the clip window`, {
      // Another attempt cannot find footage that was never recorded or is gone.
      details: { retryable: false },
    });
  const dir = join(dataDir, 'clips', cameraId, opts.day);
  await mkdir(dir, { recursive: true });
  // Plaintext exists only in the workspace (RAM), while ffmpeg cuts; the card gets sealed files.
  const ws = await PlainWorkspace.open(vault.workRoot);
  try {
    const plain = await plainSegments(vault, ws, dataDir, segments);
    const list = ws.path('concat.txt');
    const tmpVideo = ws.path(`${clipId}.mp4`);
    await writeConcatList(list, '', plain);
    const codec = await tsVideoCodec(plain[0]?.path ?? '');
    await run(ffmpegPath, remuxArgs(list, first.startTs, tmpVideo, codec), 120_000);
    const video = await publish(vault, tmpVideo, join(dir, `${clipId}.mp4`), dataDir);
    const snapshot = await writeSnapshot(ffmpegPath, dataDir, dir, ws, clipId, segments, plain, opts.eventTs, vault);
    return { video, snapshot, startTs: first.startTs, endTs: last.endTs };
  } finally {
    await ws.close();
  }
}

/** The frame at the event moment, from the segment that holds it (a JPEG, hashed like the clip). */
async function writeSnapshot(
  ffmpegPath: string,
  dataDir: string,
  dir: string,
  ws: PlainWorkspace,
  clipId: string,
  segments: SegmentRecord[],
  plain: { path: string }[],
  eventTs: number,
  vault: Vault,
): Promise<WrittenFile> {
  let idx = segments.findIndex((s) => s.startTs <= eventTs && s.endTs > eventTs);
  if (idx < 0) idx = Math.floor(segments.length / 2);
  const seg = segments[idx];
  const src = plain[idx]?.path;
  if (!seg || !src) throw new HubError('HUB_ERR_CLIP', 'no segment for the snapshot');
  const offset = Math.max(0, Math.min(eventTs - seg.startTs, seg.endTs - seg.startTs - 200)) / 1000;
  const tmp = ws.path(`${clipId}.jpg`);
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
        src,
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
  return publish(vault, tmp, join(dir, `${clipId}.jpg`), dataDir);
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
