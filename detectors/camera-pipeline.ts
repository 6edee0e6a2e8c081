/**
 * One camera's path from raw frames to events: motion gate -> person detector (worker) ->
 * filters -> tracker -> `person.*` / `motion.*` events, then the snapshot. At most one frame per
 * camera is at the detector; while it is busy only the newest frame waits (older ones are
 * dropped), so a slow model lowers the detection rate instead of building a backlog.
 *
 * Events first: `person.detected` goes out the moment a track is confirmed (in a required zone);
 * its picture is encoded afterwards and follows as `person.snapshot` with the same `snapshotId`.
 * When the camera goes offline (`camera.offline`, or no frame for `tracking.offlineAfterSeconds`)
 * every track ends with `person.left` (reason `camera_offline`).
 */
import { randomUUID } from 'node:crypto';
import type { CameraDevice } from '../hub/api/devices.js';
import { describeError, HubError } from '../hub/api/errors.js';
import type { BoundingBox, Disposer, EventBus } from '../hub/api/events.js';
import type { Frame, Logger } from '../hub/api/plugin.js';
import type { DetectorConfig } from './config.js';
import type { DetectorClient, DetectResult } from './detector-client.js';
import { validateFrame } from './frame-format.js';
import { MotionGate, type MotionSettings } from './motion-gate.js';
import { cropFrame, cutByRegion, fromRegion, planRegions } from './regions.js';
import type { SnapshotWriter } from './snapshot-writer.js';
import { PersonTracker, type TrackerEvent, type TrackerSettings } from './tracker.js';
import { filterPersons } from './zones.js';

export interface PipelineDeps {
  source: string;
  bus: EventBus;
  log: Logger;
  detector: DetectorClient;
  snapshots: SnapshotWriter | null;
  config: DetectorConfig;
}

export interface PipelineStats {
  frames: number;
  badFrames: number;
  motionFrames: number;
  lightingChanges: number;
  detectRuns: number;
  /** Of the detector runs: on crops around bodies and tracks (model runs counted once per crop), on the whole frame. */
  regionRuns: number;
  wholeFrameRuns: number;
  /** Frames that wanted the detector but were replaced by a newer one while it was busy. */
  dropped: number;
  /** Frames that wanted the detector but came sooner than `maxDetectionsPerSecond` allows. */
  rateCapped: number;
  /** Frames that wanted the detector while it was not ready (starting / restarting). */
  notReady: number;
  detectorErrors: number;
  inferMs: number[];
  roundTripMs: number[];
  /** From handing the frame to the detector to tracker results (model + transfer + prep + filters). */
  runMs: number[];
  /** Tracks created (any detection that started one) and tracks reported as a person (`person.detected`). */
  tracksCreated: number;
  trackStarts: number;
  snapshotErrors: number;
}

const STAT_WINDOW = 500;

/** The people the pipeline reports on one analysed frame (`watchTracks`): reported tracks seen in it. */
export interface TrackView {
  frameTs: number;
  tracks: Array<{ trackId: string; box: BoundingBox; score: number }>;
}

export class CameraPipeline {
  private readonly gate: MotionGate;
  private readonly tracker: PersonTracker;
  private busy = false;
  /** The newest frame waiting for the detector, with the moving bodies the gate saw in it. */
  private pending: { frame: Frame; bodies: BoundingBox[] } | null = null;
  private lastDetectTs = Number.NEGATIVE_INFINITY;
  private lastWholeFrameTs = Number.NEGATIVE_INFINITY;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly snapshotsInFlight = new Set<Promise<void>>();
  private readonly offs: Disposer[] = [];
  private silenceTimer: NodeJS.Timeout | null = null;
  private readonly trackWatchers = new Set<(v: TrackView) => void>();
  readonly stats: PipelineStats = {
    frames: 0,
    badFrames: 0,
    motionFrames: 0,
    lightingChanges: 0,
    detectRuns: 0,
    regionRuns: 0,
    wholeFrameRuns: 0,
    dropped: 0,
    rateCapped: 0,
    notReady: 0,
    detectorErrors: 0,
    inferMs: [],
    roundTripMs: [],
    runMs: [],
    tracksCreated: 0,
    trackStarts: 0,
    snapshotErrors: 0,
  };

  constructor(
    private camera: CameraDevice,
    private readonly deps: PipelineDeps,
  ) {
    this.gate = new MotionGate(motionSettings(deps.config));
    this.tracker = new PersonTracker(trackerSettings(camera, deps.config));
    this.offs.push(
      deps.bus.on('camera.offline', deps.source, (e) => {
        if (e.cameraId === this.camera.id) this.endTracks('camera_offline', e.ts);
      }),
    );
  }

  get cameraId(): string {
    return this.camera.id;
  }

  reconfigure(camera: CameraDevice): void {
    this.camera = camera;
    this.tracker.configure(trackerSettings(camera, this.deps.config));
  }

  /** FrameSource listener: synchronous and cheap (the gate), the model runs in the worker. */
  onFrame(frame: Frame): void {
    if (this.closed) return;
    this.stats.frames++;
    this.watchSilence();
    try {
      validateFrame(frame);
    } catch (err) {
      this.stats.badFrames++;
      // Log the first few and then every 100th: a broken stream must not flood the log.
      if (this.stats.badFrames <= 5 || this.stats.badFrames % 100 === 0) {
        const e = err instanceof HubError ? err : null;
        this.deps.log.error(
          { camera: this.camera.id, code: e?.code ?? 'HUB_ERR_BAD_FRAME', badFrames: this.stats.badFrames, ...(e?.details ?? {}) },
          `bad frame dropped: ${describeError(err)}`,
        );
      }
      return;
    }
    const m = this.gate.update(frame, frame.ts);
    if (m.lightingChange) this.stats.lightingChanges++;
    if (m.motion) this.stats.motionFrames++;
    if (m.started) this.deps.bus.emit('motion.started', { source: this.deps.source, cameraId: this.camera.id, area: m.area, ts: frame.ts });
    if (m.stopped) this.deps.bus.emit('motion.stopped', { source: this.deps.source, cameraId: this.camera.id, ts: frame.ts });
    for (const e of this.tracker.expire(frame.ts)) this.emit(e, frame);
    const tracking = this.tracker.active().length > 0;
    const recheck = tracking && frame.ts - this.lastDetectTs >= this.deps.config.tracking.recheckSeconds * 1000;
    // The model runs for a moving body, for any motion while people are tracked (to keep them),
    // and for periodic re-checks of people standing still; wind in the trees alone never wakes it.
    if (!m.bodyActive && !(tracking && m.active) && !recheck) return;
    // The rate cap: someone new (a body while nobody is tracked) is looked at at once.
    const cap = this.deps.config.maxDetectionsPerSecond;
    if (cap > 0 && tracking && frame.ts - this.lastDetectTs < 1000 / cap) {
      this.stats.rateCapped++;
      return;
    }
    if (!this.deps.detector.isReady) {
      this.stats.notReady++;
      return;
    }
    if (this.busy) {
      if (this.pending) this.stats.dropped++;
      // A copy: the frame source may reuse its buffer for the next frame.
      this.pending = { frame: { ...frame, data: Uint8Array.from(frame.data) }, bodies: m.bodies };
      return;
    }
    // Our own copy: the snapshot must be the very frame the detector looked at.
    void this.run({ ...frame, data: Uint8Array.from(frame.data) }, m.bodies);
  }

  /**
   * After each detector run, the reported people seen in that frame (the live-feed bench scores
   * them against the hand labels; a debug view could draw them). Returns the unsubscribe.
   */
  watchTracks(fn: (v: TrackView) => void): Disposer {
    this.trackWatchers.add(fn);
    return () => {
      this.trackWatchers.delete(fn);
    };
  }

  /** Resolves once no frame is at the detector or waiting for it, and every snapshot is written. */
  async idle(): Promise<void> {
    if (this.busy || this.pending) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    while (this.snapshotsInFlight.size > 0) await Promise.all([...this.snapshotsInFlight]);
  }

  /** Stop taking frames; with `endTracks`, reported people get `person.left`. */
  close(endTracks: boolean): void {
    this.closed = true;
    this.pending = null;
    for (const off of this.offs.splice(0)) off();
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    const ended = this.tracker.clear();
    if (endTracks) for (const e of ended) this.emit(e, null, 'stopped', Date.now());
  }

  /** The camera is gone (offline event or no frames): nobody can be "still there" on it. */
  endTracks(reason: 'camera_offline', ts: number): void {
    for (const e of this.tracker.clear()) this.emit(e, null, reason, ts);
    this.gate.reset();
  }

  /** Frames stopping is the camera going offline, whether or not the ingest has said so yet. */
  private watchSilence(): void {
    const ms = this.deps.config.tracking.offlineAfterSeconds * 1000;
    if (this.silenceTimer) {
      this.silenceTimer.refresh();
      return;
    }
    this.silenceTimer = setTimeout(() => {
      this.silenceTimer = null;
      if (this.closed || this.tracker.active().length === 0) return;
      // A frame still being analysed came from the camera: count the silence from after it.
      if (this.busy) {
        this.watchSilence();
        return;
      }
      this.deps.log.info({ camera: this.camera.id, silentMs: ms }, 'no frames from the camera: ending its tracks');
      this.endTracks('camera_offline', Date.now());
    }, ms);
    this.silenceTimer.unref();
  }

  /**
   * The model on crops around the moving bodies and the tracked people (regions.ts), or on the
   * whole frame when there is nothing to aim at, when crops would not be cheaper, or when the
   * whole frame has not been looked at for `regions.wholeFrameSeconds`.
   */
  private async detectIn(frame: Frame, bodies: BoundingBox[]): Promise<DetectResult> {
    const s = this.deps.config.regions;
    const aims = [...bodies, ...this.tracker.active().map((t) => t.box)];
    const due = frame.ts - this.lastWholeFrameTs >= s.wholeFrameSeconds * 1000;
    const regions = due ? null : planRegions(aims, frame.width, frame.height, s);
    if (!regions) {
      this.lastWholeFrameTs = frame.ts;
      this.stats.wholeFrameRuns++;
      return this.deps.detector.detect(frame);
    }
    const out: DetectResult = { detections: [], inferMs: 0, prepMs: 0, roundTripMs: 0 };
    for (const region of regions) {
      this.stats.regionRuns++;
      const r = await this.deps.detector.detect(cropFrame(frame, region));
      out.inferMs += r.inferMs;
      out.prepMs += r.prepMs;
      out.roundTripMs += r.roundTripMs;
      for (const d of r.detections) {
        if (cutByRegion(d.box, region, frame.width, frame.height)) continue;
        out.detections.push({ ...d, box: fromRegion(d.box, region, frame.width, frame.height) });
      }
    }
    return out;
  }

  private async run(frame: Frame, bodies: BoundingBox[]): Promise<void> {
    this.busy = true;
    this.lastDetectTs = frame.ts;
    this.stats.detectRuns++;
    const started = performance.now();
    try {
      const r = await this.detectIn(frame, bodies);
      pushStat(this.stats.inferMs, r.inferMs);
      pushStat(this.stats.roundTripMs, r.roundTripMs);
      if (!this.closed) {
        const persons = filterPersons(r.detections, this.deps.config.model.personClass, this.camera.detect);
        const events = this.tracker.update(persons, frame.ts);
        pushStat(this.stats.runMs, performance.now() - started);
        this.stats.tracksCreated = this.tracker.created;
        this.stats.trackStarts = this.tracker.reportedCount;
        for (const e of events) this.emit(e, frame);
        if (this.trackWatchers.size > 0) this.tellWatchers(frame.ts);
      }
    } catch (err) {
      this.stats.detectorErrors++;
      this.deps.log.error({ camera: this.camera.id, err: describeError(err) }, 'person detection failed for a frame');
    } finally {
      const next = this.pending;
      this.pending = null;
      this.busy = false;
      if (next && !this.closed) void this.run(next.frame, next.bodies);
      else {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private tellWatchers(frameTs: number): void {
    const tracks = this.tracker
      .active()
      .filter((t) => t.reported && t.lastSeen === frameTs)
      .map((t) => ({ trackId: t.id, box: { ...t.box }, score: t.scores.at(-1) ?? 0 }));
    for (const fn of this.trackWatchers) {
      try {
        fn({ frameTs, tracks });
      } catch (err) {
        this.deps.log.error({ camera: this.camera.id, err: describeError(err) }, 'a track watcher failed');
      }
    }
  }

  private emit(e: TrackerEvent, frame: Frame | null, reason: 'unseen' | 'camera_offline' | 'stopped' = 'unseen', at?: number): void {
    const base = { source: this.deps.source, cameraId: this.camera.id, trackId: e.track.id, correlationId: e.track.id };
    const ts = at ?? frame?.ts ?? e.track.lastSeen;
    if (e.type === 'left') {
      this.deps.bus.emit('person.left', { ...base, ts, durationMs: e.durationMs, reason });
      return;
    }
    if (e.type === 'updated') {
      this.deps.bus.emit('person.updated', {
        ...base,
        ts,
        score: e.score,
        box: e.track.box,
        zones: e.track.zones,
        entered: e.entered,
        left: e.left,
      });
      return;
    }
    const snaps = this.deps.snapshots;
    const withPicture = snaps !== null && frame !== null && this.deps.config.snapshots.enabled;
    const snapshotId = withPicture ? `snp_${randomUUID().slice(0, 12)}` : null;
    // The event first: nobody waits for a picture to learn that someone is at the door.
    this.deps.bus.emit('person.detected', {
      ...base,
      ts,
      score: e.score,
      box: e.track.box,
      zones: e.track.zones,
      snapshot: null,
      ...(snapshotId ? { snapshotId } : {}),
    });
    if (!snapshotId || !snaps || !frame) return;
    const box = { ...e.track.box };
    const job = snaps
      .save(this.camera.id, e.track.id, frame.ts, frame, [box], this.deps.config.snapshots.quality)
      .then(
        (saved) => {
          this.deps.bus.emit('person.snapshot', {
            ...base,
            ts: Date.now(),
            snapshotId,
            frameTs: frame.ts,
            original: { ...saved.original, format: 'png', width: frame.width, height: frame.height },
            annotated: saved.annotated ? { ...saved.annotated, format: 'jpeg', boxes: [box] } : null,
          });
        },
        (err: unknown) => {
          this.stats.snapshotErrors++;
          this.deps.log.error({ camera: this.camera.id, track: e.track.id, err: describeError(err) }, 'person snapshot failed');
        },
      )
      .finally(() => this.snapshotsInFlight.delete(job));
    this.snapshotsInFlight.add(job);
  }
}

function pushStat(list: number[], v: number): void {
  list.push(v);
  if (list.length > STAT_WINDOW) list.shift();
}

export function motionSettings(c: DetectorConfig): MotionSettings {
  return { ...c.motion, cooldownMs: c.motion.cooldownSeconds * 1000 };
}

export function trackerSettings(camera: CameraDevice, c: DetectorConfig): TrackerSettings {
  return {
    threshold: camera.detect.threshold,
    zones: camera.detect.zones,
    requiredZones: camera.detect.requiredZones ?? [],
    iouMatch: c.tracking.iouMatch,
    maxShift: c.tracking.maxShift,
    historySize: c.tracking.historySize,
    minHistory: c.tracking.minHistory,
    leftAfterMs: c.tracking.leftAfterSeconds * 1000,
    coastMs: c.tracking.coastSeconds * 1000,
  };
}
