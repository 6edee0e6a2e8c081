/**
 * A police request's window, per camera, from the recorded segments: each unbroken run of
 * segments is joined with the concat demuxer and copied (no re-encode) into one MP4 whose
 * creation_time is the run's start, then hashed. The spans the window asked for that no
 * segment covers are listed as gaps with the reason the index gives (deleted by retention,
 * dropped from the rolling buffer, or never received: camera offline). Runs are never joined
 * across a gap: a joined file would play as if no time had passed.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { access, chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HubError } from '../api/errors.js';
import { mp4HasSound } from '../media/fmp4.js';
import { tsVideoCodec } from '../media/ts-codec.js';
import { remuxArgs, writeConcatList } from '../recorder/clip-writer.js';
import type { SegmentRecord } from '../recorder/segment-store.js';
import type { SealedOpener } from '../vault/media-reader.js';
import { isSealedPath } from '../vault/plain-copies.js';
import { hashFile, type PackageFile } from './package-builder.js';
import { type GapReason, iso, type ManifestWindow, type WindowGap } from './package-format.js';

/** What the export needs of the recorder's segment index (read-only). */
export interface SegmentIndex {
  overlapping(cameraId: string, fromTs: number, toTs: number): Promise<SegmentRecord[]>;
  removedOverlapping(cameraId: string, fromTs: number, toTs: number): Promise<Array<SegmentRecord & { deleteReason: string | null }>>;
}

/** Segments further apart than this are separate runs (their measured ends jitter by a few ms). */
export const JOIN_TOLERANCE_MS = 1000;

export interface WindowPlan {
  cameraId: string;
  cameraName: string;
  fromTs: number;
  toTs: number;
  runs: SegmentRecord[][];
  gaps: WindowGap[];
  coveredMs: number;
}

const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** Which footage exists for the window, without writing anything (the owner sees this before deciding). */
export async function planWindow(
  index: SegmentIndex,
  cam: { cameraId: string; cameraName: string },
  fromTs: number,
  toTs: number,
): Promise<WindowPlan> {
  const segs = await index.overlapping(cam.cameraId, fromTs, toTs);
  const runs: SegmentRecord[][] = [];
  for (const s of segs) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run && last && s.startTs - last.endTs <= JOIN_TOLERANCE_MS) run.push(s);
    else runs.push([s]);
  }
  const removed = await index.removedOverlapping(cam.cameraId, fromTs, toTs);
  const gaps: WindowGap[] = [];
  let cursor = fromTs;
  const spans = runs.map((r) => [r[0]?.startTs ?? 0, r.at(-1)?.endTs ?? 0] as const);
  for (const [s0, s1] of [...spans, [toTs, toTs] as const]) {
    if (s0 - cursor > JOIN_TOLERANCE_MS) gaps.push(...describeGaps(cursor, Math.min(s0, toTs), removed, spans));
    cursor = Math.max(cursor, s1);
  }
  const coveredMs = spans.reduce((n, [a, b]) => n + overlap(a, b, fromTs, toTs), 0);
  return { ...cam, fromTs, toTs, runs, gaps, coveredMs };
}

const reasonOf = (deleteReason: string | null): GapReason => (deleteReason?.includes('buffer') ? 'outside-buffer' : 'retention');

/**
 * Splits one uncovered span by what the index knows of it: the parts where deleted segments
 * lay get the reason they were deleted for; the rest the hub never received (camera offline).
 */
function describeGaps(
  fromTs: number,
  toTs: number,
  removed: Array<SegmentRecord & { deleteReason: string | null }>,
  spans: ReadonlyArray<readonly [number, number]>,
): WindowGap[] {
  const out: Array<{ fromTs: number; toTs: number; reason: GapReason; why: Set<string>; count: number }> = [];
  const push = (a: number, b: number, reason: GapReason, why: string | null) => {
    if (b - a <= 0) return;
    const last = out.at(-1);
    // Touching parts with the same reason are one gap.
    if (last && last.reason === reason && a - last.toTs <= JOIN_TOLERANCE_MS) {
      last.toTs = Math.max(last.toTs, b);
      if (why) last.why.add(why);
      last.count += why === null ? 0 : 1;
    } else out.push({ fromTs: a, toTs: b, reason, why: new Set(why ? [why] : []), count: why === null ? 0 : 1 });
  };
  let cursor = fromTs;
  for (const r of removed.filter((x) => overlap(x.startTs, x.endTs, fromTs, toTs) > 0)) {
    if (r.startTs - cursor > JOIN_TOLERANCE_MS) push(cursor, r.startTs, 'camera-offline', null);
    const a = Math.max(cursor, r.startTs);
    const b = Math.min(toTs, r.endTs);
    push(a, b, reasonOf(r.deleteReason), r.deleteReason ?? 'deleted');
    cursor = Math.max(cursor, b);
  }
  if (toTs - cursor > JOIN_TOLERANCE_MS) push(cursor, toTs, 'camera-offline', null);
  else if (out.length > 0) (out.at(-1) as { toTs: number }).toTs = toTs;
  if (out.length > 0) (out[0] as { fromTs: number }).fromTs = fromTs;
  return out.map((g) => {
    let detail: string;
    if (g.reason !== 'camera-offline')
      detail = `${g.count} recorded segment(s) here were deleted before the export (${[...g.why].join('; ')})`;
    else if (spans.some(([, e]) => e <= g.fromTs + JOIN_TOLERANCE_MS))
      detail = 'the hub was recording this camera before this span and received no video during it';
    else detail = 'the hub received no video from this camera during this span';
    return { fromTs: g.fromTs, toTs: g.toTs, from: iso(g.fromTs), to: iso(g.toTs), reason: g.reason, detail };
  });
}

function ffmpeg(path: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(path, args, { timeout: 300_000, maxBuffer: 4 * 1024 * 1024 }, (err, _out, stderr) => {
      if (err)
        reject(
          new HubError(
            'HUB_ERR_EVIDENCE',
            `ffmpeg could not join the recorded segments: ${String(stderr).trim().split('\n').slice(-2).join(' | ')}`,
            { cause: err },
          ),
        );
      else resolve();
    });
  });
}

/** Writes one MP4 per run into `workDir`, hashed; returns the package files and the manifest's window. */
export async function writeWindow(opts: {
  ffmpegPath: string;
  dataDir: string;
  /** The export's plaintext workspace (RAM): sealed segments are opened here for the join. */
  workDir: string;
  plan: WindowPlan;
  /** Opens sealed segments (with the owner's key the export holds). */
  openSealed: SealedOpener;
}): Promise<{ window: ManifestWindow; files: PackageFile[] }> {
  const { plan } = opts;
  await mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  const files: PackageFile[] = [];
  for (const run of plan.runs) {
    const first = run[0];
    const last = run.at(-1);
    if (!first || !last) continue;
    const stamp = iso(first.startTs).replace(/[:.]/g, '-');
    const name = `${plan.cameraId}_${stamp}.mp4`;
    const list = join(opts.workDir, `${name}.concat.txt`);
    const out = join(opts.workDir, name);
    // Segments kept on the card are sealed: each is opened into the workspace for the join and
    // removed after it; those still in the RAM buffer are read where they are.
    const opened: string[] = [];
    try {
      const plain: { path: string }[] = [];
      for (const [i, s] of run.entries()) {
        const abs = join(opts.dataDir, s.path);
        if (!isSealedPath(s.path)) {
          plain.push({ path: abs });
          continue;
        }
        const tmp = join(opts.workDir, `${name}.${i}.ts`);
        await pipeline((await opts.openSealed(abs)).stream(), createWriteStream(tmp, { mode: 0o600 }));
        opened.push(tmp);
        plain.push({ path: tmp });
      }
      await writeConcatList(list, '', plain);
      await ffmpeg(opts.ffmpegPath, remuxArgs(list, first.startTs, out, await tsVideoCodec(plain[0]?.path ?? '')));
    } finally {
      await rm(list, { force: true });
      for (const f of opened) await rm(f, { force: true });
    }
    const { sha256, size } = await hashFile(out);
    await chmod(out, 0o440);
    files.push({
      abs: out,
      entry: {
        path: `recordings/${name}`,
        kind: 'recording',
        sha256,
        size,
        cameraId: plan.cameraId,
        cameraName: plan.cameraName,
        startTs: first.startTs,
        endTs: last.endTs,
        start: iso(first.startTs),
        end: iso(last.endTs),
        masterCopy: true,
        sound: (await mp4HasSound(out)) === true,
      },
    });
  }
  return {
    files,
    window: {
      cameraId: plan.cameraId,
      cameraName: plan.cameraName,
      fromTs: plan.fromTs,
      toTs: plan.toTs,
      from: iso(plan.fromTs),
      to: iso(plan.toTs),
      coveredMs: plan.coveredMs,
      recordings: files.map((f) => f.entry.path),
      workingCopies: [],
      gaps: plan.gaps,
    },
  };
}

export const WORKING_COPY_PROCESSING =
  'Re-encoded (H.264, libx264) from the recording named in workingCopyOf, with the hub time burned in at the top left: ' +
  'the recording start plus the position in the file, in UTC. For viewing only: the recording is the master copy.';

/** drawtext needs its colons escaped twice: once for the filter graph, once inside the %{pts} function. */
function burnedTimeFilter(font: string, startTs: number): string {
  const fontArg = font.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/'/g, "\\'");
  const time = `%{pts\\:gmtime\\:${(startTs / 1000).toFixed(3)}\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}`;
  return `drawtext=fontfile=${fontArg}:fontsize=20:fontcolor=white:box=1:boxcolor=black@0.6:x=8:y=8:text='${time} UTC  WORKING COPY'`;
}

/**
 * A viewing copy of a recording with the time burned in. Returns null (and says why) when the
 * font is missing: the package is still made, with its masters, and without the copy.
 */
export async function writeWorkingCopy(opts: {
  ffmpegPath: string;
  font: string;
  master: PackageFile;
  workDir: string;
}): Promise<{ file: PackageFile } | { skipped: string }> {
  const { master } = opts;
  try {
    await access(opts.font);
  } catch {
    return { skipped: `the font ${opts.font} for the burned-in time is missing` };
  }
  const name = master.entry.path.replace(/^recordings\//, '').replace(/\.mp4$/, '_working-copy.mp4');
  const out = join(opts.workDir, name);
  await ffmpeg(opts.ffmpegPath, [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-i',
    master.abs,
    '-map',
    '0:v',
    '-vf',
    burnedTimeFilter(opts.font, master.entry.startTs ?? 0),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '23',
    '-pix_fmt',
    'yuv420p',
    '-metadata',
    `creation_time=${master.entry.start ?? ''}`,
    '-metadata',
    'comment=WORKING COPY with burned-in time; not the evidence master',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '-y',
    out,
  ]);
  const { sha256, size } = await hashFile(out);
  await chmod(out, 0o440);
  const { masterCopy: _m, ...meta } = master.entry;
  return {
    file: {
      abs: out,
      entry: {
        ...meta,
        path: `working-copies/${name}`,
        kind: 'working-copy',
        sha256,
        size,
        workingCopyOf: master.entry.path,
        processing: WORKING_COPY_PROCESSING,
      },
    },
  };
}
