/**
 * The recorder (hub module `recorder`): one ffmpeg per attached camera writing copied segments
 * into a rolling buffer and raw frames for detectors; event clips (pre-roll + event + post-roll)
 * cut from those segments, hashed and stored as evidence; retention that never touches held
 * footage. Other modules reach it with `core.module<RecorderModule>('recorder')`.
 */
import { randomUUID } from 'node:crypto';
import { describeError, HubError, NotFoundError } from '../api/errors.js';
import type { AlarmState, ClipTrigger, Disposer } from '../api/events.js';
import type { CameraStreams } from '../api/plugin.js';
import type { HubCore, HubModule } from '../core.js';
import { CameraIngest } from './camera-ingest.js';
import { type Snapshot, takeSnapshot } from './camera-probe.js';
import { ClipIntentStore, type HeldKind } from './clip-intents.js';
import { ClipProducer } from './clip-producer.js';
import { ClipScheduler, type PendingClip } from './clip-scheduler.js';
import { registerHoldRoutes, SILENT_REF } from './hold-routes.js';
import { LiveView } from './live-view.js';
import { RamBuffer } from './ram-buffer.js';
import { Retention, type RetentionReport } from './retention.js';
import { registerRecorderRoutes } from './routes.js';
import { type RelayLease, RtspAuthRelay } from './rtsp-auth-relay.js';
import { sealLegacyFootage } from './seal-legacy.js';
import { type SegmentRecord, SegmentStore } from './segment-store.js';
import { SoundChoices } from './sound.js';
import { type StorageMode, StorageState } from './storage-state.js';

export interface CameraStatus {
  cameraId: string;
  attached: boolean;
  online: boolean;
  recording: boolean;
  transport: 'tcp' | 'udp' | null;
  lastError: { code: string; message: string } | null;
}

export class RecorderModule implements HubModule {
  readonly name = 'recorder';
  private core: HubCore | null = null;
  private readonly ingests = new Map<string, CameraIngest>();
  /** Ingests replaced or detached that have not finished stopping (stop() waits for them). */
  private readonly retiringIngests = new Set<Promise<void>>();
  private readonly lastSegmentEnd = new Map<string, number>();
  private readonly disposers: Disposer[] = [];
  private timers: NodeJS.Timeout[] = [];
  private scheduler: ClipScheduler | null = null;
  private retention: Retention | null = null;
  private retentionRun: Promise<RetentionReport> | null = null;
  private retentionAgain = false;
  /** A test hook holds the maintenance pass here to show the watchdog noticing a hung recorder. */
  private stall: Promise<void> | null = null;
  private storage: StorageState | null = null;
  private ram: RamBuffer | null = null;
  /** Spills of kept RAM segments to the card, one at a time. */
  private spilling: Promise<void> = Promise.resolve();
  private producer: ClipProducer | null = null;
  private alarmState: AlarmState | null = null;
  private segmentStore: SegmentStore | null = null;
  private intentStore: ClipIntentStore | null = null;
  private heldKinds: HeldKind[] = [];
  /** The owner's yes or no to sound, per camera. */
  sound: SoundChoices | null = null;
  live: LiveView | null = null;
  /** Gives every ffmpeg a credential-free loopback URL; the camera password stays in this process. */
  relay: RtspAuthRelay | null = null;
  /** Per camera: the stream set as attached (before relaying) and the relay leases its ingest holds. */
  private readonly ingestSources = new Map<string, { streams: CameraStreams; leases: RelayLease[] }>();

  private parts(): HubCore {
    if (!this.core) throw new HubError('HUB_ERR_INTERNAL', 'recorder used before start');
    return this.core;
  }

  /** The segment index (read-only use: evidence export of raw segments, tests). */
  get segments(): SegmentStore {
    if (!this.segmentStore) throw new HubError('HUB_ERR_INTERNAL', 'recorder used before start');
    return this.segmentStore;
  }

  /** The stored clip windows (tests, the benchmark and the fault-injection check read them). */
  get intents(): ClipIntentStore {
    if (!this.intentStore) throw new HubError('HUB_ERR_INTERNAL', 'recorder used before start');
    return this.intentStore;
  }

  /** True while continuous writing is stopped because only held footage fills the disk budget. */
  get recordingPaused(): boolean {
    return this.storage?.mode === 'paused';
  }

  /** ok, shedding (continuous recording off under held footage) or paused (nothing can be written). */
  get storageMode(): StorageMode {
    return this.storage?.mode ?? 'ok';
  }

  async start(core: HubCore): Promise<void> {
    this.core = core;
    const log = core.log.child({ module: 'recorder' });
    this.segmentStore = new SegmentStore(core.db, () => core.clock.now());
    this.ram = await RamBuffer.setup(core.dataDir, core.config.recorder.ramBuffer, log, core.vault);
    await this.ram.reconcile(this.segmentStore);
    core.health.set('recorder:ram-buffer', 'ok', this.ram.state.reason, {
      enabled: this.ram.state.enabled,
      budgetBytes: this.ram.state.budgetBytes,
    });
    const intents = new ClipIntentStore(core.db, core.footage, () => core.clock.now());
    this.intentStore = intents;
    this.heldKinds = await intents.heldKinds();
    this.sound = new SoundChoices(core);
    await this.sound.load();
    const producer = new ClipProducer(core, this.segmentStore);
    this.producer = producer;
    this.scheduler = new ClipScheduler({
      clock: core.clock,
      log,
      segmentMs: core.config.recorder.segmentSeconds * 1000,
      maxEventMs: core.config.recorder.maxEventClipSeconds * 1000,
      intents,
      latestSegmentEnd: async (id) => this.lastSegmentEnd.get(id) ?? (await this.segmentStore?.latest(id))?.endTs ?? 0,
      produce: (clip) => producer.produce(clip),
      held: (clip, holdId) => producer.held(clip, holdId),
      failed: (clip, reason, final) => producer.failed(clip, reason, final),
    });
    const scheduler = this.scheduler;
    // Clips cut from segments sealed before a power cut wait for the owner's key; footage kept
    // before encryption at rest is sealed when an account first has a key (and at every start).
    this.disposers.push(
      core.vault.onChange((c) => {
        if (c.unlocked && c.role === 'owner') scheduler.retryLocked();
        if (c.created) this.sealLegacy();
      }),
    );
    this.storage = new StorageState(core, () => {
      for (const i of this.ingests.values()) i.restart();
    });
    this.retention = new Retention(core, this.segmentStore, async () => [...scheduler.windows(), ...(await intents.windows())]);
    const live = core.config.recorder.live;
    this.relay = new RtspAuthRelay(log.child({ part: 'rtsp-relay' }));
    await this.relay.start();
    const relay = this.relay;
    if (core.ffmpeg)
      this.live = new LiveView({
        ffmpegPath: core.ffmpeg.path,
        log,
        width: live.width,
        height: live.height,
        fps: live.fps,
        bitrateKbps: live.bitrateKbps,
        maxViewerBufferBytes: live.maxViewerBufferBytes,
        relay,
        ingest: (id) => this.ingests.get(id),
      });

    this.disposers.push(
      core.cameraAttachments.watch((event, streams) => {
        if (event === 'attached') this.startIngest(streams);
        else this.stopIngest(streams.cameraId, streams);
      }),
    );
    for (const s of core.cameraAttachments.current()) this.startIngest(s);
    this.listenForTriggers();
    await scheduler.restore();
    registerRecorderRoutes(core, this);
    registerHoldRoutes(core, intents, (kinds) => {
      this.heldKinds = kinds;
    });

    this.timers.push(
      setInterval(() => this.requestRetention(), core.config.recorder.retentionIntervalSeconds * 1000),
      // A detector that subscribes later needs frames: restart that camera's ffmpeg with them.
      setInterval(() => {
        for (const i of this.ingests.values()) if (i.needsRestart()) i.restart();
        // While paused no segment arrives to trigger retention: check whether space came back.
        if (this.recordingPaused) this.requestRetention();
      }, 5000),
    );
    this.requestRetention();
    this.sealLegacy();
    // Liveness: the maintenance pass (retention, which also frees space for new segments) must finish.
    this.disposers.push(core.liveness.register('recorder', () => this.retentionRun ?? Promise.resolve()));
  }

  /** Resolves when the pass sealing footage kept before encryption at rest is done. */
  legacySealing: Promise<unknown> = Promise.resolve();

  private sealLegacy(): void {
    const core = this.parts();
    const segments = this.segmentStore;
    if (!segments) return;
    this.legacySealing = this.legacySealing.then(() =>
      sealLegacyFootage(core, segments, this.ram).then(undefined, (err: unknown) =>
        core.log.error({ err: describeError(err) }, 'could not seal footage kept before encryption at rest'),
      ),
    );
  }

  /**
   * Test hook: the next maintenance pass hangs until the returned function is called, as a pass
   * stuck on a dying SD card would. Used by the watchdog test.
   */
  stallMaintenanceForTest(): () => void {
    let open: (() => void) | null = null;
    this.stall = new Promise<void>((resolve) => {
      open = resolve;
    });
    void this.requestRetention();
    return () => {
      this.stall = null;
      open?.();
    };
  }

  private listenForTriggers(): void {
    const { bus } = this.parts();
    const all = (trigger: ClipTrigger, e: { ts: number; correlationId: string }, hold: HeldKind | null = null) => {
      // Every enabled camera, streaming yet or not: at boot a panic may come before the cameras attach.
      for (const c of this.parts().devices.cameras()) if (c.enabled) this.tryClip(c.id, trigger, e, hold);
    };
    this.disposers.push(
      bus.on('person.detected', 'recorder', (e) => this.tryClip(e.cameraId, 'person', e)),
      bus.on('camera.doorbell', 'recorder', (e) => this.tryClip(e.cameraId, 'doorbell', e)),
      bus.on('alarm.state_changed', 'recorder', (e) => {
        this.alarmState = e.to;
      }),
      bus.on('sensor.opened', 'recorder', (e) => {
        // Unknown alarm state: entry-route doors only (the doorbell watches those).
        const record = this.alarmState === null ? e.entryRoute : this.alarmState !== 'disarmed';
        if (record) all('sensor', e);
      }),
      bus.on('panic', 'recorder', (e) => all('panic', e, 'panic')),
      bus.on('smartwater.used', 'recorder', (e) => all('smartwater', e, 'smartwater')),
      bus.on('alarm.triggered', 'recorder', (e) => all('alarm', e, 'alarm')),
      // The intrusion's own clips (door, person) are open now: this merges into them and holds them.
      bus.on('intrusion.confirmed', 'recorder', (e) => all('alarm', e, 'intrusion')),
      bus.on('duress', 'recorder', (e) => this.holdSilently(e)),
      bus.on('evidence.marked', 'recorder', async (e) => {
        const core = this.parts();
        const hold = await core.footage.addHold({
          kind: 'evidence',
          reason: e.reason,
          cameraId: null,
          fromTs: e.fromTs,
          toTs: e.toTs,
          refId: null,
        });
        await core.audit.append({
          action: 'footage.held',
          actor: 'recorder',
          subject: {
            holdId: hold.id,
            kind: hold.kind,
            fromTs: hold.fromTs,
            toTs: hold.toTs,
            reason: hold.reason,
            correlationId: e.correlationId,
          },
        });
      }),
    );
  }

  /**
   * A duress PIN: no clip appears (the person forcing the victim may be looking at the list), but
   * the footage of every camera around it is held, and only the silent audit entry says why.
   */
  private holdSilently(e: { ts: number; correlationId: string }): void {
    const core = this.parts();
    if (!this.heldKinds.includes('duress')) return;
    const margin = Math.max(60_000, ...core.devices.cameras().map((c) => (c.record.preRollSeconds + c.record.postRollSeconds) * 1000));
    const hold = { kind: 'alarm' as const, reason: 'held by default', cameraId: null, fromTs: e.ts - margin, toTs: e.ts + margin };
    core.footage
      .addHold({ ...hold, refId: `${SILENT_REF}${e.correlationId}` })
      .then((h) =>
        core.audit.append({
          action: 'footage.held',
          actor: 'recorder',
          subject: { holdId: h.id, fromTs: h.fromTs, toTs: h.toTs, silent: true, correlationId: e.correlationId },
        }),
      )
      .then(undefined, (err: unknown) => core.log.error({ err: describeError(err) }, 'could not hold footage for a duress PIN'));
  }

  private tryClip(cameraId: string, trigger: ClipTrigger, e: { ts: number; correlationId: string }, hold: HeldKind | null = null): void {
    try {
      this.requestClip(cameraId, trigger, { eventTs: e.ts, correlationId: e.correlationId, hold, evenIfNotStreaming: true });
    } catch (err) {
      this.parts().log.warn({ camera: cameraId, trigger, err: describeError(err) }, 'no clip for this event');
      // No caller to tell: the reason goes to health and the audit log, so no trigger is left unexplained.
      const clip: PendingClip = {
        clipId: randomUUID(),
        cameraId,
        trigger,
        eventTs: e.ts,
        correlationId: e.correlationId,
        startTs: e.ts,
        endTs: e.ts,
        triggers: [{ trigger, eventTs: e.ts, correlationId: e.correlationId }],
        holdKinds: [],
        attempts: 1,
        continuesClipId: null,
      };
      this.producer?.failed(clip, describeError(err), true).then(undefined, (auditErr: unknown) => {
        this.parts().log.error({ camera: cameraId, err: describeError(auditErr) }, 'could not record why a clip was not made');
      });
    }
  }

  private startIngest(streams: CameraStreams): void {
    const core = this.parts();
    const camera = core.devices.camera(streams.cameraId);
    const log = core.log.child({ module: 'recorder' });
    if (!camera?.enabled) {
      log.warn({ camera: streams.cameraId }, 'attached stream has no enabled camera device; not recording it');
      return;
    }
    if (!core.ffmpeg) {
      core.health.set(`camera:${camera.id}`, 'failed', 'ffmpeg is missing (HUB_ERR_FFMPEG_MISSING)');
      return;
    }
    const previous = this.ingests.get(camera.id);
    if (previous) this.retireIngest(camera.id, previous);
    this.releaseLeases(camera.id);
    const main = this.relayOrThrow().lease(streams.mainUrl, streams.username, streams.password);
    const sub = streams.subUrl ? this.relayOrThrow().lease(streams.subUrl, streams.username, streams.password) : null;
    this.ingestSources.set(camera.id, { streams, leases: sub ? [main, sub] : [main] });
    // ffmpeg gets the relay's URLs and no credentials; snapshots over HTTP use the originals.
    const relayed: CameraStreams = { ...streams, mainUrl: main.url, subUrl: sub?.url ?? null, username: null, password: null };
    const ingest = new CameraIngest(relayed, camera, {
      ffmpegPath: core.ffmpeg.path,
      dataDir: core.dataDir,
      segmentsSubdir: this.ram?.state.segmentsSubdir ?? 'segments',
      config: core.config.recorder,
      bus: core.bus,
      health: core.health,
      frameHub: core.frameHub,
      segments: this.segments,
      clock: core.clock,
      log,
      recordingAllowed: () => !this.recordingPaused,
      continuousAllowed: () => this.storageMode === 'ok',
      soundAgreed: () => this.sound?.agreedFor(camera.id) === true,
      onSegment: (seg) => this.onSegment(seg),
    });
    this.ingests.set(camera.id, ingest);
    ingest.start();
    this.live?.retap(camera.id);
  }

  /** Sound turned on or off for a camera: its source reconnects with or without it now. */
  applySound(cameraId: string): void {
    const ingest = this.ingests.get(cameraId);
    if (ingest?.needsRestart()) ingest.restart();
  }

  /** Whether the camera's running stream carries sound (null: not streaming). */
  hasAudio(cameraId: string): boolean | null {
    const ingest = this.ingests.get(cameraId);
    return ingest ? ingest.hasAudio : null;
  }

  private stopIngest(cameraId: string, streams?: CameraStreams): void {
    const ingest = this.ingests.get(cameraId);
    if (!ingest || (streams && this.ingestSources.get(cameraId)?.streams !== streams)) return;
    this.ingests.delete(cameraId);
    this.releaseLeases(cameraId);
    this.retireIngest(cameraId, ingest);
  }

  /**
   * An ingest replaced or detached stops in the background; stop() waits for it, since its
   * recorder may still be finishing a segment file.
   */
  private retireIngest(cameraId: string, ingest: CameraIngest): void {
    const p: Promise<void> = ingest
      .stop()
      .then(undefined, (err: unknown) => this.parts().log.error({ camera: cameraId, err: describeError(err) }, 'ingest did not stop'))
      .finally(() => this.retiringIngests.delete(p));
    this.retiringIngests.add(p);
  }

  private releaseLeases(cameraId: string): void {
    for (const l of this.ingestSources.get(cameraId)?.leases ?? []) l.release();
    this.ingestSources.delete(cameraId);
  }

  relayOrThrow(): RtspAuthRelay {
    if (!this.relay) throw new HubError('HUB_ERR_INTERNAL', 'recorder used before start');
    return this.relay;
  }

  private onSegment(seg: SegmentRecord): void {
    const core = this.parts();
    this.lastSegmentEnd.set(seg.cameraId, seg.endTs);
    core.bus.emit('segment.written', {
      source: 'recorder',
      cameraId: seg.cameraId,
      path: seg.path,
      startTs: seg.startTs,
      endTs: seg.endTs,
      size: seg.size,
    });
    if (core.config.recorder.diskBudgetBytes !== null) this.requestRetention();
    const ram = this.ram;
    if (ram?.isInRam(seg)) {
      // Kept footage goes to the card at once; the rest of the buffer stays in RAM.
      this.spilling = this.spilling.then(async () => {
        try {
          if (seg.continuous || (await core.footage.isHeld(seg.cameraId, seg.startTs, seg.endTs))) await ram.spill(seg, this.segments);
        } catch (err) {
          core.log.error({ segment: seg.path, err: describeError(err) }, 'could not copy a kept segment from RAM to the card');
          core.health.set('recorder:ram-buffer', 'degraded', `could not copy a kept segment to the card: ${describeError(err)}`);
        }
      });
    }
  }

  /**
   * Record a clip of `cameraId` around `eventTs` (default: now) with the camera's pre- and
   * post-roll. Overlapping requests merge into one clip. `clip.saved` is emitted when it is written.
   * `evenIfNotStreaming` (bus triggers): store the window anyway; the clip is cut from whatever
   * footage the disk holds for it, or fails with that reason recorded.
   */
  requestClip(
    cameraId: string,
    trigger: ClipTrigger,
    opts: { eventTs?: number; correlationId?: string; hold?: HeldKind | null; evenIfNotStreaming?: boolean } = {},
  ): PendingClip {
    const core = this.parts();
    const camera = core.devices.camera(cameraId);
    if (!camera) throw new NotFoundError(`camera ${cameraId}`);
    const ingest = this.ingests.get(cameraId);
    const eventTs = opts.eventTs ?? core.clock.now();
    const preRollMs = camera.record.preRollSeconds * 1000;
    if (!ingest && !opts.evenIfNotStreaming) {
      throw new HubError('HUB_ERR_CAMERA', `camera ${cameraId} is not streaming (not attached or disabled)`);
    }
    // An offline camera still gives a clip when the buffer holds footage from before it dropped.
    if (ingest && !opts.evenIfNotStreaming && !ingest.isOnline && (this.lastSegmentEnd.get(cameraId) ?? 0) < eventTs - preRollMs) {
      const problem = ingest.lastProblem;
      throw new HubError(
        problem?.code ?? 'HUB_ERR_CAMERA_UNREACHABLE',
        `camera ${cameraId} is offline and has no recent footage (${problem?.message ?? 'no video yet'})`,
      );
    }
    if (this.recordingPaused) throw new HubError('HUB_ERR_DISK_FULL', 'recording is paused: the disk is full of held evidence');
    if (!this.scheduler) throw new HubError('HUB_ERR_INTERNAL', 'recorder stopped');
    return this.scheduler.request({
      cameraId,
      trigger,
      eventTs,
      correlationId: opts.correlationId ?? `clip-${cameraId}-${core.clock.now()}`,
      preRollMs,
      postRollMs: camera.record.postRollSeconds * 1000,
      hold: opts.hold && this.heldKinds.includes(opts.hold) ? opts.hold : null,
    });
  }

  /** Run retention now (also runs on a timer); concurrent calls share one pass. */
  requestRetention(): Promise<RetentionReport> {
    if (this.retentionRun) {
      this.retentionAgain = true;
      return this.retentionRun;
    }
    const run = (async () => {
      let report: RetentionReport;
      do {
        this.retentionAgain = false;
        if (this.stall) await this.stall;
        report = await this.runRetentionOnce();
      } while (this.retentionAgain);
      return report;
    })();
    this.retentionRun = run;
    run.then(
      () => {
        this.retentionRun = null;
      },
      (err: unknown) => {
        this.retentionRun = null;
        this.core?.log.error({ err: describeError(err) }, 'retention failed');
        this.core?.health.set('recorder:storage', 'degraded', `retention failed: ${describeError(err)}`);
      },
    );
    return run;
  }

  private async maintainRam(): Promise<void> {
    const core = this.parts();
    const ram = this.ram;
    if (!ram?.state.enabled || !this.scheduler || !this.intentStore) return;
    const windows = [...this.scheduler.windows(), ...(await this.intentStore.windows())];
    const segmentMs = core.config.recorder.segmentSeconds * 1000;
    const keepRecentMs = Math.max(0, ...core.devices.cameras().map((c) => c.record.preRollSeconds * 1000)) + 2 * segmentMs;
    await this.spilling;
    const r = await ram.maintain({
      segments: this.segments,
      isHeld: (cam, from, to) => core.footage.isHeld(cam, from, to),
      inClipWindow: (s) => windows.some((w) => w.cameraId === s.cameraId && w.startTs <= s.endTs && w.endTs >= s.startTs),
      keepRecentMs,
      now: core.clock.now(),
    });
    const mb = (n: number) => Math.round(n / 2 ** 20);
    core.health.set('recorder:ram-buffer', 'ok', `${ram.state.reason}; ${mb(r.usedBytes)} MiB in use`, {
      enabled: true,
      budgetBytes: ram.state.budgetBytes,
      usedBytes: r.usedBytes,
      spilled: r.spilled,
      trimmed: r.trimmed,
    });
  }

  private async runRetentionOnce(): Promise<RetentionReport> {
    if (!this.retention || !this.storage) throw new HubError('HUB_ERR_INTERNAL', 'recorder stopped');
    await this.maintainRam();
    const report = await this.retention.run();
    this.storage.apply(report);
    return report;
  }

  /** A picture from the camera now (snapshot URL, else one RTSP frame). */
  async snapshot(cameraId: string): Promise<Snapshot> {
    const core = this.parts();
    const streams = core.cameraAttachments.get(cameraId);
    if (!streams || !core.devices.camera(cameraId)) throw new NotFoundError(`camera ${cameraId}`);
    if (!core.ffmpeg) throw new HubError('HUB_ERR_FFMPEG_MISSING', 'ffmpeg is missing');
    return takeSnapshot(core.ffmpeg.path, this.relayOrThrow(), streams, {
      firstTransport: this.ingests.get(cameraId)?.currentTransport ?? 'tcp',
    });
  }

  status(cameraId: string): CameraStatus {
    const core = this.parts();
    const ingest = this.ingests.get(cameraId);
    const problem = ingest?.lastProblem ?? null;
    return {
      cameraId,
      attached: core.cameraAttachments.get(cameraId) !== undefined,
      online: ingest?.isOnline ?? false,
      recording: ingest?.isRecording ?? false,
      transport: ingest?.currentTransport ?? null,
      lastError: problem ? { code: problem.code, message: problem.message } : null,
    };
  }

  /** A camera's ingest (its codec, clock offset, consumer pids): tests and the benchmark read it. */
  ingestFor(cameraId: string): CameraIngest | undefined {
    return this.ingests.get(cameraId);
  }

  /** The ffmpeg pid recording a camera (tests and the benchmark read its CPU / check it is gone). */
  ingestPid(cameraId: string): number | undefined {
    return this.ingests.get(cameraId)?.pid;
  }

  /** Write every clip still waiting for its post-roll (used before shutdown and by tests). */
  async flushClips(): Promise<void> {
    await this.scheduler?.flush();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const d of this.disposers.splice(0)) d();
    await this.live?.stop();
    // Stop ingest first so the last segments are indexed, then write the open clips from them.
    await Promise.all([...this.ingests.values()].map((i) => i.stop()));
    this.ingests.clear();
    await Promise.all([...this.retiringIngests]);
    for (const id of [...this.ingestSources.keys()]) this.releaseLeases(id);
    await this.relay?.stop();
    await this.scheduler?.flush();
    await this.scheduler?.stop();
    try {
      await this.retentionRun;
    } catch (err) {
      this.core?.log.debug({ err: describeError(err) }, 'retention pass failed during stop (already reported)');
    }
    await this.legacySealing;
    const core = this.core;
    if (this.ram && this.segmentStore && core) {
      await this.spilling;
      try {
        await this.ram.close(this.segmentStore, (cam, from, to) => core.footage.isHeld(cam, from, to));
      } catch (err) {
        core.log.error({ err: describeError(err) }, 'could not release the RAM segment buffer');
      }
    }
  }
}
