/**
 * What goes into a package besides the hashing: the files for each clip (with the moment each
 * snapshot shows, from the clip's own audit entry), the people behind the request and the
 * decision (role and display name, not a bare id), the camera clocks, and the per-camera
 * windows from the recorder's segment index.
 */
import { extname } from 'node:path';
import type { EventMap } from '../api/events.js';
import type { HubCore } from '../core.js';
import { mp4HasSound } from '../media/fmp4.js';
import type { RecorderModule } from '../recorder/recorder-module.js';
import type { ClipRecord } from '../storage/footage.js';
import { type MediaFile, rangeSource } from '../vault/media-reader.js';
import { plainName } from '../vault/plain-copies.js';
import type { PackageFile } from './package-builder.js';
import { type CameraClock, iso, type Person } from './package-format.js';
import type { PoliceRequest } from './requests-store.js';
import { planWindow, type SegmentIndex, type WindowPlan, type writeWindow, writeWorkingCopy } from './window-export.js';

const NO_RECORDER: SegmentIndex = {
  overlapping: async () => [],
  removedOverlapping: async () => [],
};

/** The recorder's segment index, read-only (an empty one on a hub without the recorder). */
export function segmentIndex(core: HubCore): SegmentIndex {
  const rec = core.module<RecorderModule>('recorder');
  return rec ? rec.segments : NO_RECORDER;
}

export async function personOf(core: HubCore, userId: string | null, fallbackRole: string): Promise<Person | null> {
  if (userId === null) return null;
  const u = await core.accounts.user(userId);
  return { userId, role: u?.role ?? fallbackRole, displayName: u?.displayName ?? '(account removed)' };
}

/** The cameras a request covers: the ones named, or every camera of the home. */
export function requestedCameras(core: HubCore, r: Pick<PoliceRequest, 'cameraIds'>): Array<{ cameraId: string; cameraName: string }> {
  const ids = r.cameraIds.length > 0 ? r.cameraIds : core.devices.cameras().map((c) => c.id);
  return ids.map((id) => ({ cameraId: id, cameraName: core.devices.camera(id)?.name ?? id }));
}

/** The footage a window holds per camera, before anything is written. */
export async function planWindows(core: HubCore, r: Pick<PoliceRequest, 'cameraIds' | 'fromTs' | 'toTs'>): Promise<WindowPlan[]> {
  const index = segmentIndex(core);
  const out: WindowPlan[] = [];
  for (const cam of requestedCameras(core, r)) out.push(await planWindow(index, cam, r.fromTs, r.toTs));
  return out;
}

/** A reading of a camera's clock over ONVIF (the `camera.clock` event the onvif-camera plugin logs). */
export interface OnvifClockReading {
  offsetMs: number;
  uncertaintyMs: number;
  ntp: boolean;
  ts: number;
}

/**
 * Per camera, its clock against the hub's: the median of the offsets recorded with the package's
 * clips (from the camera's RTCP sender reports while they were recorded); else the camera's own
 * statement of its time over ONVIF nearest the window; else unknown.
 */
export function cameraClocks(
  cameraIds: string[],
  clips: ReadonlyArray<Pick<ClipRecord, 'cameraId' | 'cameraOffsetMs'>> = [],
  onvif: ReadonlyMap<string, OnvifClockReading> = new Map(),
): CameraClock[] {
  return cameraIds.map((cameraId) => {
    const known = clips
      .filter((c) => c.cameraId === cameraId)
      .map((c) => c.cameraOffsetMs)
      .filter((o): o is number => typeof o === 'number')
      .sort((a, b) => a - b);
    const mid = known[Math.floor(known.length / 2)];
    const said = onvif.get(cameraId);
    if (mid === undefined && said)
      return {
        cameraId,
        offsetMs: said.offsetMs,
        detail:
          `camera clock minus hub time, as the camera stated its UTC time over ONVIF (GetSystemDateAndTime) at ` +
          `${new Date(said.ts).toISOString()} hub time, to within ${said.uncertaintyMs} ms (whole seconds, plus half the round trip); ` +
          `the camera says it ${said.ntp ? 'sets its clock from NTP' : 'does not use NTP'}. ` +
          'Times in this package are hub arrival times; a time the camera shows minus this offset is hub time.',
      };
    if (mid === undefined)
      return {
        cameraId,
        offsetMs: null,
        detail: 'not reported by the camera; times are hub arrival times, which do not depend on the camera clock',
      };
    return {
      cameraId,
      offsetMs: mid,
      detail:
        `camera clock minus hub arrival time, from the camera's RTCP sender reports while its clips were recorded ` +
        `(median of ${known.length} clip${known.length === 1 ? '' : 's'}; less the time a frame takes to reach the hub after the camera stamps it: the camera's sending delay, a tenth to half a second, and the network's, milliseconds at home). ` +
        (said
          ? `Over ONVIF the camera stated ${said.offsetMs} ms (±${said.uncertaintyMs} ms) at ${new Date(said.ts).toISOString()}. `
          : '') +
        'Times in this package are hub times; a time the camera shows minus this offset is hub time.',
    };
  });
}

/**
 * Per camera, the ONVIF clock reading nearest a window: the last one at or before its end, else
 * the first one after it.
 */
export async function onvifClockReadings(core: HubCore, cameraIds: string[], toTs: number): Promise<Map<string, OnvifClockReading>> {
  await core.eventLog.flush();
  const out = new Map<string, OnvifClockReading>();
  const take = (events: Awaited<ReturnType<HubCore['eventLog']['query']>>) => {
    for (const e of events) {
      const p = e.payload as Partial<EventMap['camera.clock']>;
      if (typeof p.cameraId !== 'string' || !cameraIds.includes(p.cameraId) || out.has(p.cameraId)) continue;
      if (typeof p.offsetMs !== 'number' || typeof p.uncertaintyMs !== 'number') continue;
      out.set(p.cameraId, { offsetMs: p.offsetMs, uncertaintyMs: p.uncertaintyMs, ntp: p.ntp === true, ts: e.ts });
    }
  };
  take(await core.eventLog.query({ names: ['camera.clock'], to: toTs, limit: 5000 }));
  if (out.size < cameraIds.length) take((await core.eventLog.query({ names: ['camera.clock'], from: toTs + 1, limit: 5000 })).reverse());
  return out;
}

/** The moment a clip's snapshot shows: the event time the recorder cut it at, within the clip. */
export async function snapshotMoment(core: HubCore, clip: ClipRecord): Promise<number | null> {
  const saved = (await core.audit.related([['clipId', clip.id]])).find((e) => e.action === 'clip.saved');
  const ts = (saved?.subject.requested as { eventTs?: unknown } | undefined)?.eventTs;
  if (typeof ts !== 'number') return null;
  return Math.min(Math.max(ts, clip.startTs), clip.endTs);
}

/** `sound` for a manifest entry (left out when the file is missing: the export's hash check says so). */
export async function soundField(path: string, open: (abs: string) => Promise<MediaFile>): Promise<{ sound?: boolean }> {
  let media: MediaFile;
  try {
    media = await open(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const sound = await mp4HasSound(rangeSource(media));
  return sound === null ? {} : { sound };
}

export async function clipFiles(
  core: HubCore,
  clip: ClipRecord,
  abs: { video: string; snapshot: string | null },
  snapshotSize: number | null,
  open: (abs: string) => Promise<MediaFile>,
): Promise<PackageFile[]> {
  const cameraName = core.devices.camera(clip.cameraId)?.name ?? clip.cameraId;
  const out: PackageFile[] = [
    {
      abs: abs.video,
      entry: {
        path: `clips/${clip.id}${extname(plainName(clip.path)) || '.mp4'}`,
        kind: 'clip',
        sha256: clip.sha256,
        size: clip.size,
        clipId: clip.id,
        cameraId: clip.cameraId,
        cameraName,
        trigger: clip.trigger,
        startTs: clip.startTs,
        endTs: clip.endTs,
        start: iso(clip.startTs),
        end: iso(clip.endTs),
        masterCopy: true,
        ...(await soundField(abs.video, open)),
        cameraClockOffsetMs: clip.cameraOffsetMs ?? null,
      },
    },
  ];
  if (abs.snapshot && clip.snapshotSha256 && clip.snapshotPath && snapshotSize !== null) {
    const shows = await snapshotMoment(core, clip);
    out.push({
      abs: abs.snapshot,
      entry: {
        path: `snapshots/${clip.id}${extname(plainName(clip.snapshotPath)) || '.jpg'}`,
        kind: 'snapshot',
        sha256: clip.snapshotSha256,
        size: snapshotSize,
        clipId: clip.id,
        cameraId: clip.cameraId,
        cameraName,
        ...(shows === null ? {} : { showsTs: shows, shows: iso(shows) }),
      },
    });
  }
  return out;
}

/** A viewing copy per recording of a window; one that cannot be made is left out and logged. */
export async function workingCopies(
  core: HubCore,
  w: Awaited<ReturnType<typeof writeWindow>>,
  ffmpegPath: string,
  workDir: string,
): Promise<PackageFile[]> {
  // The masters here are the window's recordings, plain in the export's RAM workspace.
  const out: PackageFile[] = [];
  for (const master of w.files) {
    const r = await writeWorkingCopy({ ffmpegPath, font: core.config.evidence.workingCopyFont, master, workDir });
    if ('skipped' in r) {
      core.log.warn({ recording: master.entry.path, reason: r.skipped }, 'working copy left out of the package');
      continue;
    }
    w.window.workingCopies.push(r.file.entry.path);
    out.push(r.file);
  }
  return out;
}
