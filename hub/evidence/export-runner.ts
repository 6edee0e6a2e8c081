/**
 * Builds the evidence package for an approved request, in the background, with progress. Every
 * clip is re-hashed against the SHA-256 stored when it was written before anything is packed; a
 * mismatch aborts the export and is audited (footage that changed on the hub is not evidence).
 */
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, HubError } from '../api/errors.js';
import type { HubCore } from '../core.js';
import type { HubIdentity, HubSigner } from '../identity/hub-identity.js';
import type { ClipRecord } from '../storage/footage.js';
import { SerialQueue } from '../storage/serial-queue.js';
import { SealedFileAlteredError } from '../vault/age-file.js';
import { hashMedia, type MediaFile, openMedia } from '../vault/media-reader.js';
import { isSealedPath, PlainWorkspace, SEALED_SUFFIX } from '../vault/plain-copies.js';
import { FootageLockedError } from '../vault/vault.js';
import { readClockSync } from './clock-sync.js';
import { buildCustody } from './custody.js';
import type { ExportRecord, ExportStore } from './exports-store.js';
import { buildPackage, type PackageFile } from './package-builder.js';
import { cameraClocks, clipFiles, onvifClockReadings, personOf, planWindows, workingCopies } from './package-contents.js';
import {
  homeTimeZone,
  iso,
  MANIFEST_FORMAT,
  type ManifestEvent,
  type ManifestWindow,
  PROCESSING,
  type SmartWaterEntry,
  TIME_BASIS,
} from './package-format.js';
import type { PoliceRequest } from './requests-store.js';
import { writeWindow } from './window-export.js';

/** The owner's keys an export holds from approval until it ends. */
export interface ExportKeys {
  keys: string[];
  signer: HubSigner;
  recipients: string[];
}

/** Sensor and detection facts a court may need alongside the footage. */
const EVIDENCE_EVENT =
  /^(sensor\.|person\.|motion\.|camera\.(doorbell|motion|tamper)$|alarm\.triggered$|intrusion\.confirmed$|smartwater\.used$|button\.pressed$|clip\.saved$|panic$|duress$)/;

export class ExportRunner {
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();

  constructor(
    private readonly core: HubCore,
    private readonly identity: HubIdentity,
    private readonly exports: ExportStore,
    private readonly software: string,
  ) {}

  /** The clips a decision covers: the chosen ones for a partial approval, else all in the window. */
  async clipsFor(request: PoliceRequest): Promise<ClipRecord[]> {
    if (request.approvedClipIds !== null) {
      const out: ClipRecord[] = [];
      for (const id of request.approvedClipIds) {
        const c = await this.core.footage.clip(id);
        if (!c || c.deletedAt !== null) throw new HubError('HUB_ERR_EVIDENCE', `clip ${id} is no longer on the hub`);
        out.push(c);
      }
      return out;
    }
    return this.core.footage.clips({
      ...(request.cameraIds.length > 0 ? { cameraIds: request.cameraIds } : {}),
      fromTs: request.fromTs,
      toTs: request.toTs,
    });
  }

  /**
   * What an export needs from the owner, taken at the moment she approves: her key (to open the
   * sealed footage), the hub's signing key (in memory only while she is signed in), and who the
   * package is sealed to (the requesting officer and the owners). Held by the export until it
   * ends, then dropped. Throws `HUB_ERR_LOCKED` when the owner's footage is locked.
   */
  async takeKeys(request: PoliceRequest): Promise<ExportKeys> {
    const keys = this.core.vault.ownerIdentities();
    if (!keys.length) throw new FootageLockedError();
    const signer = this.identity.signer();
    const officer = await this.core.vault.recipientOf(request.policeUserId);
    if (!officer) {
      throw new HubError(
        'HUB_ERR_EVIDENCE',
        'the requesting officer has no key yet: they must sign in to the hub once before a package can be sealed to them',
      );
    }
    const recipients = [...new Set([officer, ...(await this.core.vault.ownerRecipients())])];
    return { keys, signer, recipients };
  }

  /** Starts an export; resolves once it is recorded (the package is built in the background). */
  async start(request: PoliceRequest, actor: string, taken?: ExportKeys): Promise<ExportRecord> {
    const held = taken ?? (await this.takeKeys(request));
    const rec = await this.exports.create(request.id);
    const abort = new AbortController();
    const log = this.core.log.child({ module: 'evidence', exportId: rec.id, requestId: request.id });
    const done = this.run(request, rec, actor, abort.signal, held).then(
      () => undefined,
      async (err: unknown) => {
        log.error({ err: describeError(err) }, 'evidence export failed');
        await this.exports.failed(rec.id, describeError(err));
        await this.core.audit.append({
          action: 'export.failed',
          actor,
          subject: { requestId: request.id, exportId: rec.id, error: describeError(err) },
        });
        this.emit(rec.id, 'failed', 0, 0);
      },
    );
    const tracked = done.then(
      () => {
        this.running.delete(rec.id);
      },
      (err: unknown) => {
        this.running.delete(rec.id);
        log.error({ err: describeError(err) }, 'could not record the failed export');
      },
    );
    this.running.set(rec.id, { done: tracked, abort });
    return rec;
  }

  /** Resolves when the export has finished (ready or failed). */
  async settled(exportId: string): Promise<void> {
    await this.running.get(exportId)?.done;
  }

  async stop(): Promise<void> {
    for (const r of this.running.values()) r.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private emit(exportId: string, phase: string, done: number, total: number): void {
    this.core.bus.emit('export.progress', { source: 'evidence', exportId, phase, done, total });
  }

  private async run(request: PoliceRequest, rec: ExportRecord, actor: string, signal: AbortSignal, held: ExportKeys): Promise<void> {
    // The joined window recordings are plaintext: they are made in the vault's RAM workspace and
    // live on only inside the (sealed) package.
    const ws = await PlainWorkspace.open(this.core.vault.workRoot);
    try {
      await this.waitForWindow(request, rec, signal);
      await this.build(request, rec, actor, signal, held, ws.dir);
    } finally {
      await ws.close();
    }
  }

  /**
   * A window that has not ended is exported once it has, plus one segment length and a margin
   * so its last segment is closed and indexed: the package never stops short of the window.
   */
  private async waitForWindow(request: PoliceRequest, rec: ExportRecord, signal: AbortSignal): Promise<void> {
    // Without a recorder there is no segment to wait for.
    const settleMs = this.core.module('recorder') ? this.core.config.recorder.segmentSeconds * 1000 + 2000 : 0;
    const readyAt = request.toTs + settleMs;
    if (this.core.clock.now() >= readyAt) return;
    await this.exports.progress(rec.id, 'waiting', 0, 0);
    this.emit(rec.id, 'waiting', 0, 0);
    while (this.core.clock.now() < readyAt) {
      try {
        await sleep(Math.min(1000, readyAt - this.core.clock.now()), undefined, { signal });
      } catch (err) {
        throw new HubError('HUB_ERR_EVIDENCE', 'the export was stopped while waiting for the window to pass', { cause: err });
      }
    }
  }

  private async build(
    request: PoliceRequest,
    rec: ExportRecord,
    actor: string,
    signal: AbortSignal,
    held: ExportKeys,
    workDir: string,
  ): Promise<void> {
    const { core } = this;
    const openSealed = (abs: string) => core.vault.openAsOwner(abs, held.keys);
    const open = (abs: string) => openMedia(abs, openSealed);
    const clips = await this.clipsFor(request);
    const files = clips.length + clips.filter((c) => c.snapshotPath && c.snapshotSha256).length;
    const total = files * 2 + 1;
    let done = 0;
    // Progress writes are chained so a late one never lands after the export is marked ready.
    const progress = new SerialQueue();
    const step = (phase: string): Promise<void> => {
      done++;
      const n = done;
      return progress.run(async () => {
        await this.exports.progress(rec.id, phase, n, total);
        this.emit(rec.id, phase, n, total);
      });
    };
    await this.exports.progress(rec.id, 'verifying', 0, total);
    this.emit(rec.id, 'verifying', 0, total);
    await core.audit.append({
      action: 'export.started',
      actor,
      subject: { requestId: request.id, exportId: rec.id, clipIds: clips.map((c) => c.id) },
    });

    const packed: PackageFile[] = [];
    for (const clip of clips) {
      if (signal.aborted) throw new HubError('HUB_ERR_EVIDENCE', 'the export was stopped');
      const absPath = resolve(core.dataDir, clip.path);
      await this.checkFile(open, request, rec, actor, clip.id, `clip ${clip.id}`, absPath, clip.sha256, clip.size);
      await step('verifying');
      let absSnapshot: string | null = null;
      let snapshotSize: number | null = null;
      if (clip.snapshotPath && clip.snapshotSha256) {
        absSnapshot = resolve(core.dataDir, clip.snapshotPath);
        snapshotSize = await this.checkFile(
          open,
          request,
          rec,
          actor,
          clip.id,
          `snapshot of clip ${clip.id}`,
          absSnapshot,
          clip.snapshotSha256,
          null,
        );
        await step('verifying');
      }
      try {
        // Reads the clip's header (is there sound?): the first place a changed sealed chunk shows.
        packed.push(...(await clipFiles(core, clip, { video: absPath, snapshot: absSnapshot }, snapshotSize, open)));
      } catch (err) {
        if (!(err instanceof SealedFileAlteredError)) throw err;
        const reason = `clip ${clip.id}: altered on the hub (its sealed file does not authenticate)`;
        await core.audit.append({
          action: 'export.aborted',
          actor,
          subject: { requestId: request.id, exportId: rec.id, clipId: clip.id, reason, expected: clip.sha256 },
        });
        throw new HubError('HUB_ERR_EVIDENCE', `${reason}: the export is stopped`, { cause: err });
      }
    }
    // A full approval also exports the recorded segments of the whole window, per camera; a
    // partial one discloses only the clips the owner chose.
    const dir = join(core.dataDir, 'evidence', 'exports');
    const windows: ManifestWindow[] = [];
    if (request.approvedClipIds === null) {
      const plans = await planWindows(core, request);
      // Only joining recorded segments needs ffmpeg; a window with none is still listed, as a gap.
      const ffmpegPath = core.ffmpeg?.path ?? '';
      if (!core.ffmpeg && plans.some((p) => p.runs.length > 0))
        throw new HubError('HUB_ERR_FFMPEG_MISSING', 'ffmpeg is missing: the recorded window cannot be exported');
      for (const plan of plans) {
        const w = await writeWindow({ ffmpegPath, dataDir: core.dataDir, workDir, plan, openSealed });
        windows.push(w.window);
        packed.push(...w.files);
        if (core.config.evidence.workingCopies) packed.push(...(await workingCopies(core, w, ffmpegPath, workDir)));
      }
      await core.audit.append({
        action: 'export.recorded',
        actor: 'system',
        subject: {
          requestId: request.id,
          exportId: rec.id,
          files: packed
            .filter((f) => f.entry.kind === 'recording')
            .map((f) => ({
              path: f.entry.path,
              cameraId: f.entry.cameraId,
              sha256: f.entry.sha256,
              size: f.entry.size,
              startTs: f.entry.startTs,
              endTs: f.entry.endTs,
            })),
          gaps: windows.flatMap((w) => w.gaps.map((g) => ({ cameraId: w.cameraId, fromTs: g.fromTs, toTs: g.toTs, reason: g.reason }))),
        },
      });
    }
    const verified = await core.audit.append({
      action: 'export.verified',
      actor: 'system',
      subject: { requestId: request.id, exportId: rec.id, clips: clips.map((c) => ({ clipId: c.id, sha256: c.sha256, size: c.size })) },
    });

    const related = await core.audit.related([
      ['requestId', request.id],
      ['exportId', rec.id],
      ...clips.map((c): [string, string] => ['clipId', c.id]),
    ]);
    const fromSeq = related[0]?.seq ?? verified.seq;
    const custody = buildCustody(await core.audit.entries({ fromSeq, toSeq: verified.seq }), new Set(related.map((e) => e.seq)));

    // A partial approval discloses only the span of the chosen clips, not the whole window asked for.
    const fromTs = request.approvedClipIds === null ? request.fromTs : Math.min(...clips.map((c) => c.startTs), request.toTs);
    const toTs = request.approvedClipIds === null ? request.toTs : Math.max(...clips.map((c) => c.endTs), request.fromTs);
    const { events, smartwater } = await this.eventsIn(fromTs, toTs, request.cameraIds);
    const clockCameras = [...new Set([...windows.map((w) => w.cameraId), ...clips.map((c) => c.cameraId)])];
    const onvifClocks = await onvifClockReadings(core, clockCameras, toTs);

    await mkdir(dir, { recursive: true, mode: 0o700 });
    const createdAt = core.clock.now();
    const built = await this.packing(request, rec, actor, packed, clips, async () =>
      buildPackage({
        outPath: join(dir, `${rec.id}.zip${SEALED_SUFFIX}`),
        recipients: held.recipients,
        open,
        identity: held.signer,
        signal,
        files: packed,
        custody,
        onFile: () => {
          step('packaging').then(undefined, (err: unknown) =>
            core.log.warn({ err: describeError(err), exportId: rec.id }, 'could not record export progress'),
          );
        },
        base: {
          format: MANIFEST_FORMAT,
          software: `sanctuary ${this.software}`,
          exportId: rec.id,
          createdAt: iso(createdAt),
          home: homeTimeZone(createdAt),
          request: {
            id: request.id,
            force: request.force,
            officerName: request.officerName,
            officerId: request.officerId,
            crimeReference: request.crimeReference,
            offence: request.offence,
            reason: request.reason,
            fromTs: request.fromTs,
            toTs: request.toTs,
            from: iso(request.fromTs),
            to: iso(request.toTs),
            cameraIds: request.cameraIds,
            requestedAt: iso(request.createdAt),
            requestedBy: (await personOf(core, request.policeUserId, 'police')) ?? {
              userId: request.policeUserId,
              role: 'police',
              displayName: request.officerName,
            },
            decision: request.status === 'partial' ? 'partial' : 'approved',
            decidedAt: request.decidedAt === null ? null : iso(request.decidedAt),
            approvedBy: await personOf(core, request.decidedBy, 'owner'),
            decisionNote: request.decisionNote,
          },
          clock: await readClockSync(() => core.clock.now()),
          cameraClocks: cameraClocks(clockCameras, clips, onvifClocks),
          timeBasis: TIME_BASIS,
          processing: PROCESSING,
          windows,
          events,
          smartwater,
        },
      }),
    );
    await step('signed');
    await progress.idle();
    const path = relative(core.dataDir, built.path);
    await this.exports.ready(rec.id, { path, sha256: built.sha256, size: built.size });
    await core.audit.append({
      action: 'export.ready',
      actor: 'system',
      subject: {
        requestId: request.id,
        exportId: rec.id,
        packageSha256: built.sha256,
        size: built.size,
        manifestSha256: built.manifestSha256,
        files: built.files.length,
      },
    });
    this.emit(rec.id, 'ready', total, total);
  }

  /**
   * Packing reads each file once more and hashes it as it goes into the zip. A sealed clip is
   * checked there (chunk by chunk, and its SHA-256 against the one recorded at write): a file
   * altered on the card stops the export as the pre-check would have, audited with the clip.
   */
  private async packing<T>(
    request: PoliceRequest,
    rec: ExportRecord,
    actor: string,
    packed: PackageFile[],
    clips: ClipRecord[],
    build: () => Promise<T>,
  ): Promise<T> {
    try {
      return await build();
    } catch (err) {
      const d = err instanceof HubError ? err.details : undefined;
      const path = typeof d?.path === 'string' ? d.path : null;
      const entry = path ? packed.find((f) => f.entry.path === path)?.entry : undefined;
      const clip = entry?.clipId ? clips.find((c) => c.id === entry.clipId) : undefined;
      if (!entry || !clip || !(d?.altered === true || typeof d?.actual === 'string')) throw err;
      const what = entry.kind === 'snapshot' ? `snapshot of clip ${clip.id}` : `clip ${clip.id}`;
      const reason =
        d?.altered === true ? `${what}: altered on the hub (its sealed file does not authenticate)` : `${what}: SHA-256 mismatch`;
      await this.core.audit.append({
        action: 'export.aborted',
        actor,
        subject: { requestId: request.id, exportId: rec.id, clipId: clip.id, reason, expected: entry.sha256 },
      });
      throw new HubError('HUB_ERR_EVIDENCE', `${reason}: the export is stopped`, { cause: err });
    }
  }

  private async checkFile(
    open: (abs: string) => Promise<MediaFile>,
    request: PoliceRequest,
    rec: ExportRecord,
    actor: string,
    clipId: string,
    what: string,
    abs: string,
    expected: string,
    expectedSize: number | null,
  ): Promise<number> {
    let actual: { sha256: string; size: number };
    try {
      const media = await open(abs);
      if (isSealedPath(abs)) {
        // Sealed: opening checked its header and key, and its length gives the plaintext's; the
        // content (each chunk, and the SHA-256) is checked as it is packed, so it is decrypted
        // once, not twice (see `packing`).
        if (expectedSize !== null && media.size !== expectedSize) {
          throw new SealedFileAlteredError(`${abs}: ${media.size} bytes inside, ${expectedSize} when it was written`);
        }
        actual = { sha256: expected, size: media.size };
      } else actual = await hashMedia(media);
    } catch (err) {
      // Locked is not a broken file: the owner signed in again will make it.
      if (err instanceof HubError && err.code === 'HUB_ERR_LOCKED') throw err;
      // A sealed file is authenticated chunk by chunk: a changed byte is found by opening it.
      const altered = err instanceof SealedFileAlteredError;
      const reason = altered ? `${what}: altered on the hub (its sealed file does not authenticate)` : `${what} cannot be read`;
      await this.core.audit.append({
        action: 'export.aborted',
        actor,
        subject: { requestId: request.id, exportId: rec.id, clipId, reason, ...(altered ? { expected } : {}) },
      });
      throw new HubError('HUB_ERR_EVIDENCE', `${reason}: the export is stopped`, { cause: err });
    }
    if (actual.sha256 !== expected || (expectedSize !== null && actual.size !== expectedSize)) {
      await this.core.audit.append({
        action: 'export.aborted',
        actor,
        subject: {
          requestId: request.id,
          exportId: rec.id,
          clipId,
          reason: `${what}: SHA-256 mismatch`,
          expected,
          actual: actual.sha256,
          size: actual.size,
        },
      });
      throw new HubError(
        'HUB_ERR_EVIDENCE',
        `${what}: SHA-256 mismatch (stored ${expected}, file now ${actual.sha256}); the export is stopped`,
        {
          details: { clipId, expected, actual: actual.sha256 },
        },
      );
    }
    return actual.size;
  }

  private async eventsIn(
    fromTs: number,
    toTs: number,
    cameraIds: string[],
  ): Promise<{ events: ManifestEvent[]; smartwater: SmartWaterEntry[] }> {
    const { core } = this;
    await core.eventLog.flush();
    const stored = (await core.eventLog.query({ from: fromTs, to: toTs, limit: 5000 })).filter((e) => {
      if (!EVIDENCE_EVENT.test(e.name)) return false;
      const cam = (e.payload as { cameraId?: unknown }).cameraId;
      return typeof cam !== 'string' || cameraIds.length === 0 || cameraIds.includes(cam);
    });
    stored.sort((a, b) => a.seq - b.seq);
    const smartwater = new Map<string, SmartWaterEntry>();
    for (const e of stored) {
      const p = e.payload as { sensorId?: unknown; name?: unknown; location?: unknown; smartwaterKitCode?: unknown };
      if (typeof p.sensorId !== 'string' || smartwater.has(p.sensorId)) continue;
      const device = core.devices.sensor(p.sensorId);
      if (device?.smartwater.marked) {
        smartwater.set(p.sensorId, {
          sensorId: device.id,
          name: device.name,
          location: device.location,
          kitCode: device.smartwater.kitCode,
        });
      } else if (!device && typeof p.smartwaterKitCode === 'string') {
        // The sensor was removed since: the event still says which kit marked it.
        smartwater.set(p.sensorId, {
          sensorId: p.sensorId,
          name: String(p.name ?? p.sensorId),
          location: String(p.location ?? ''),
          kitCode: p.smartwaterKitCode,
        });
      }
    }
    return {
      events: stored.map((e) => ({
        seq: e.seq,
        ts: e.ts,
        time: iso(e.ts),
        name: e.name,
        source: e.source,
        correlationId: e.correlationId,
        payload: e.payload,
      })),
      smartwater: [...smartwater.values()],
    };
  }
}
