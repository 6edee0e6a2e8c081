/**
 * One camera's ingest: a source ffmpeg holding the camera's RTSP session, copying the video as
 * sent into fMP4 fragments (one per frame, each with the camera's RTCP wall-clock time), and
 * separate consumers fed those fragments: the segment recorder and the detection decoder. The
 * source is restarted with backoff when the camera drops (`camera.offline` / `camera.online`
 * when the outage passes the configured limit); a consumer that fails is restarted alone, so
 * recording and detection never take each other down. The RTSP password only ever reaches the
 * source ffmpeg's argv; every line logged goes through `redactSecrets`.
 *
 * Times: every frame carries its arrival time at the hub (`ts`) and, once the camera has sent an
 * RTCP sender report, the camera's own clock time for it (`cameraTs`). Their difference, the
 * camera-to-hub offset, is kept per camera (`clockOffsetMs`) and health warns when it passes
 * CAMERA_CLOCK_DRIFT_WARN_MS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CameraDevice } from '../api/devices.js';
import { describeError } from '../api/errors.js';
import type { EventBus } from '../api/events.js';
import { CAMERA_CLOCK_DRIFT_WARN_MS, type CameraStreams, type Clock, type Logger } from '../api/plugin.js';
import type { HealthRegistry } from '../health/health.js';
import { redactSecrets } from '../log/logger.js';
import { type Fmp4Fragment, type Fmp4Init, Fmp4Splitter } from '../media/fmp4.js';
import { SerialQueue } from '../storage/serial-queue.js';
import type { FrameHub } from './attachments.js';
import { stopProcess } from './child-process.js';
import type { RecorderConfig } from './config.js';
import {
  type CameraProblem,
  classifyFfmpegError,
  framesArgs,
  type RtspTransport,
  recordArgs,
  sourceArgs,
  withCredentials,
} from './ingest-command.js';
import { median, StreamStamps } from './prft-pairing.js';
import { learnedStreamsFile, ProbeMemory, readLearnedStreams, writeLearnedStreams } from './probe-memory.js';
import type { SegmentRecord, SegmentStore } from './segment-store.js';
import { StreamConsumer } from './stream-consumer.js';

/**
 * A reader of the main stream as the camera sends it (live view passes it on to browsers): the
 * init segment each time a connection opens, then every fragment, video and sound. A tap must
 * not block: it is called on the ingest's own data path.
 */
export interface StreamTap {
  init(init: Fmp4Init): void;
  fragment(fragment: Fmp4Fragment): void;
}

export interface IngestDeps {
  ffmpegPath: string;
  dataDir: string;
  /** Where segments go under the data folder: `segments`, or `ram/segments` for the RAM buffer. */
  segmentsSubdir?: string;
  config: Readonly<RecorderConfig>;
  bus: EventBus;
  health: HealthRegistry;
  frameHub: FrameHub;
  segments: SegmentStore;
  clock: Clock;
  log: Logger;
  /** Whether continuous footage may be written now (false under disk pressure). */
  recordingAllowed(): boolean;
  /** Whether new segments count as continuous footage (false while held footage fills the budget). */
  continuousAllowed(): boolean;
  onSegment(segment: SegmentRecord): void;
  /** The owner agreed to this camera recording sound (the installer's `record.audio` is the other half). */
  soundAgreed?(): boolean;
}

const MAX_BACKOFF_MS = 30_000;
/** Before the first fragment ffmpeg may still be connecting and probing the stream. */
const STARTUP_WATCHDOG_MS = 20_000;

export interface ClockSample {
  /** Camera clock minus hub arrival time (ms): the clock offset less the camera's sending delay and the network's. */
  offsetMs: number;
  at: number;
}

/**
 * A stream's media clock mapped to the hub's: wall = media + offset, with the offset the
 * smallest (arrival - media time) among the recent fragments, i.e. set by the frames that came
 * with the least delay. Display-ordered media times then give display-ordered wall times.
 */
export class MediaClock {
  private readonly offsets: number[] = [];
  private timescale = 90_000;

  note(ticks: number, arrivalTs: number, timescale: number): void {
    this.timescale = timescale;
    this.offsets.push(arrivalTs - (ticks * 1000) / timescale);
    // About ten seconds at 10 fps: follows a drifting camera clock.
    if (this.offsets.length > 100) this.offsets.shift();
  }

  wallOf(ticks: number): number | null {
    if (this.offsets.length === 0) return null;
    return (ticks * 1000) / this.timescale + Math.min(...this.offsets);
  }
}

interface FrameTime {
  arrivalTs: number;
  cameraTs: number | null;
}

export class CameraIngest {
  private child: ChildProcess | null = null;
  private stopped = false;
  private online = false;
  private offlineRaised = false;
  private everOnline = false;
  private unreachableSince: number | null = null;
  private backoffMs = 1000;
  private retryTimer: NodeJS.Timeout | null = null;
  private offlineTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private transport: RtspTransport;
  private stderrTail = '';
  private lastProgressAt = 0;
  private readonly indexing = new SerialQueue();
  private withFrames = false;
  /** This run's source keeps the camera's sound. */
  private withAudio = false;
  private recording = false;
  private recorder: StreamConsumer | null = null;
  private frames: StreamConsumer | null = null;
  private mainInit: Fmp4Init | null = null;
  private framesInit: Fmp4Init | null = null;
  /** Consumers switched off (recording paused, frames no longer wanted) that are still stopping. */
  private readonly retiring = new Set<Promise<void>>();
  private readonly frameTimes = new Map<number, FrameTime>();
  /** The detection stream's media time mapped to the hub's clock (frame timestamps). */
  private mediaClock = new MediaClock();
  /** Each stream's camera times from its prft boxes (prft-pairing.ts): main, and sub when frames come from it. */
  private mainStamps = new StreamStamps();
  private subStamps = new StreamStamps();
  private lastFrameTs = 0;
  private readonly taps = new Set<StreamTap>();
  /** Fast start: what the last connection showed about the streams (probe-memory.ts). */
  private readonly probe: ProbeMemory;
  private readonly learnedWrites = new SerialQueue();
  /** This run is being ended to reconnect with the full probe. */
  private probeRestart = false;
  private readonly clockSamples: ClockSample[] = [];
  /** Fragments of the main stream received (benchmarks and tests read it). */
  fragments = 0;
  /** When the source was spawned and when its first fragment came (connect-to-first-frame). */
  spawnedAt = 0;
  firstFragmentAt = 0;
  lastProblem: CameraProblem | null = null;
  readonly log: Logger;

  constructor(
    readonly streams: CameraStreams,
    readonly camera: CameraDevice,
    private readonly deps: IngestDeps,
  ) {
    this.transport = deps.config.rtspTransport;
    this.log = deps.log.child({ camera: camera.id });
    const file = learnedStreamsFile(deps.dataDir, camera.id);
    this.probe = new ProbeMemory(readLearnedStreams(file, this.log), (learned) => {
      void this.learnedWrites.run(() =>
        writeLearnedStreams(file, learned).then(
          () => undefined,
          (err: unknown) => this.log.warn({ file, err: describeError(err) }, 'cannot keep what was learned for fast start'),
        ),
      );
    });
  }

  get cameraId(): string {
    return this.camera.id;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  /** The segment recorder's and the detection decoder's ffmpeg pids (tests kill them). */
  get recorderPid(): number | undefined {
    return this.recorder?.pid;
  }
  get framesPid(): number | undefined {
    return this.frames?.pid;
  }
  /** The codec as the camera sends it (sample entry of the copied stream: avc1, hvc1, ...). */
  get codec(): string | null {
    return this.mainInit?.codec ?? null;
  }
  /**
   * Camera clock minus hub arrival time, median of the last samples (ms), or null while the
   * camera has sent no RTCP sender report. Less the time a frame takes to come once stamped: the
   * camera's sending delay (0.1-0.5 s; more with B-frames) and the network's (milliseconds on a LAN).
   */
  get clockOffsetMs(): number | null {
    if (this.clockSamples.length === 0) return null;
    return Math.round(median(this.clockSamples.map((c) => c.offsetMs)));
  }
  /** The running stream carries sound (recorded beside the video). */
  get hasAudio(): boolean {
    return this.withAudio && (this.mainInit?.audio ?? null) !== null;
  }
  get isOnline(): boolean {
    return this.online;
  }
  /** This connection probed only the first packet (the last one showed no more was needed). */
  get fastProbe(): boolean {
    return this.probe.fastThisRun;
  }
  /** Detection frames come from the camera's sub stream (its second session is open and has sent its header). */
  get framesFromSub(): boolean {
    return this.withFrames && this.streams.subUrl !== null && this.framesInit !== null;
  }
  get isRecording(): boolean {
    return this.recording;
  }
  get currentTransport(): RtspTransport {
    return this.transport;
  }
  get segmentDir(): string {
    return join(this.deps.dataDir, this.deps.segmentsSubdir ?? 'segments', this.camera.id);
  }

  private secrets(): Array<string | null> {
    return [this.streams.password];
  }

  start(): void {
    this.deps.health.set(`camera:${this.camera.id}`, 'starting', 'connecting');
    this.armOfflineTimer(this.deps.clock.now());
    this.spawnNow();
  }

  /**
   * Outputs are consumers of the running session: one that is now wanted (a detector subscribed,
   * disk freed) or no longer wanted is started or stopped here, without touching the camera
   * session. Only a new sub stream for frames needs the source restarted (returns true then).
   */
  needsRestart(): boolean {
    this.adjustConsumers();
    const wantFrames = this.wantFrames();
    if (this.child !== null && this.soundChanged()) return true;
    return this.child !== null && wantFrames && this.streams.subUrl !== null && !this.withFrames;
  }

  /** Restart the source to pick up new outputs (the camera is not reported offline for this). */
  restart(): void {
    this.adjustConsumers();
    if (this.child && this.streams.subUrl !== null && this.wantFrames() !== this.withFrames) this.child.kill('SIGTERM');
    else if (this.child && this.soundChanged()) {
      this.log.info({ audio: this.wantAudio() }, 'sound recording changed; reconnecting the camera');
      this.child.kill('SIGTERM');
    }
  }

  /** Read the main stream as it comes (no second RTSP session); returns the way to stop reading. */
  tap(tap: StreamTap): () => void {
    this.taps.add(tap);
    if (this.mainInit && this.child) tap.init(this.mainInit);
    return () => {
      this.taps.delete(tap);
    };
  }

  private toTaps(fragment: Fmp4Fragment): void {
    for (const t of this.taps) t.fragment(fragment);
  }

  /** Test hook: raw bytes into the detection decoder's input (see independent-outputs.test). */
  injectIntoFrames(bytes: Buffer): void {
    this.frames?.inject(bytes);
  }

  /** The owner or installer turned sound on or off since this run started. */
  private soundChanged(): boolean {
    return this.wantAudio() !== this.withAudio;
  }

  /** Sound only when the installer set the camera to record it and the owner agreed. */
  private wantAudio(): boolean {
    return this.camera.record.audio === true && this.deps.soundAgreed?.() === true;
  }

  private wantFrames(): boolean {
    return this.camera.detect.enabled || this.deps.frameHub.hasSubscribers(this.camera.id);
  }

  private adjustConsumers(): void {
    if (this.stopped) return;
    const wantRecording = this.deps.recordingAllowed();
    if (wantRecording && !this.recorder) {
      this.recorder = this.makeRecorder();
      if (this.mainInit) this.recorder.setInit(this.mainInit);
    } else if (!wantRecording && this.recorder) {
      const r = this.recorder;
      this.recorder = null;
      this.retire(r.stop());
    }
    this.recording = this.recorder !== null;
    const wantFrames = this.wantFrames();
    if (wantFrames && !this.frames) {
      this.frames = this.makeFrames();
      const init = this.streams.subUrl ? this.framesInit : this.mainInit;
      if (init) this.frames.setInit(init);
    } else if (!wantFrames && this.frames) {
      const f = this.frames;
      this.frames = null;
      this.retire(f.stop(500));
    }
  }

  /** A consumer no longer wanted finishes in the background; stop() waits for it (it may hold a segment file). */
  private retire(stopping: Promise<void>): void {
    const p = stopping
      .catch((err: unknown) => this.log.error({ err: describeError(err) }, 'a stream consumer did not stop cleanly'))
      .finally(() => this.retiring.delete(p));
    this.retiring.add(p);
  }

  private consumerState(name: string, state: 'running' | 'failed', detail: string): void {
    if (state === 'failed') this.log.warn({ consumer: name }, detail);
    this.deps.health.set(`camera:${this.camera.id}:${name}`, state === 'running' ? 'ok' : 'degraded', detail);
  }

  private makeRecorder(): StreamConsumer {
    const { config, clock } = this.deps;
    const dir = this.segmentDir;
    return new StreamConsumer({
      name: 'record',
      ffmpegPath: this.deps.ffmpegPath,
      // Each recorder run names its own files (a restarted one never overwrites a segment).
      args: () => recordArgs(join(dir, `${clock.now()}-%06d.ts`), config.segmentSeconds, this.mainInit?.codec ?? null),
      extraFds: 1,
      stallMs: config.segmentSeconds * 3000 + 5000,
      maxQueuedBytes: 32 * 1024 * 1024,
      log: this.log,
      attach: (child) => this.attachRecorder(child),
      onState: (state, detail) => this.consumerState('record', state, detail),
    });
  }

  private makeFrames(): StreamConsumer {
    const { fps, width, height } = this.camera.detect;
    return new StreamConsumer({
      name: 'frames',
      ffmpegPath: this.deps.ffmpegPath,
      args: () => framesArgs({ fps, width, height }),
      extraFds: 0,
      stallMs: Math.max(5000, 3000 / fps),
      // Detection wants the newest frames: a backlog is dropped, not queued.
      maxQueuedBytes: 2 * 1024 * 1024,
      log: this.log,
      attach: (child) => this.attachFrames(child),
      onState: (state, detail) => this.consumerState('frames', state, detail),
    });
  }

  private spawnNow(): void {
    if (this.stopped) return;
    const { config } = this.deps;
    this.withFrames = this.wantFrames();
    const subUrl = this.withFrames ? this.streams.subUrl : null;
    const fastProbe = this.probe.begin(subUrl ? ['main', 'sub'] : ['main']);
    this.withAudio = this.wantAudio();
    const args = sourceArgs({
      fastProbe,
      audio: this.withAudio,
      mainUrl: withCredentials(this.streams.mainUrl, this.streams.username, this.streams.password),
      subUrl: subUrl ? withCredentials(subUrl, this.streams.username, this.streams.password) : null,
      transport: this.transport,
      ioTimeoutMs: Math.min(10_000, Math.max(2000, config.offlineAfterSeconds * 500)),
    });
    this.log.info({ args: redactSecrets(args.join(' '), this.secrets()), transport: this.transport, fastProbe }, 'starting camera ingest');
    this.stderrTail = '';
    this.lastProgressAt = 0;
    mkdir(this.segmentDir, { recursive: true }).then(
      () => this.launch(args, subUrl !== null),
      (err: unknown) => {
        this.log.error({ err: describeError(err) }, 'cannot create the segment folder');
        this.scheduleRetry();
      },
    );
  }

  private launch(args: string[], withSub: boolean): void {
    if (this.stopped) return;
    const child = spawn(this.deps.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe', withSub ? 'pipe' : 'ignore'] });
    this.child = child;
    this.spawnedAt = Date.now();
    this.firstFragmentAt = 0;
    this.probeRestart = false;
    this.frameTimes.clear();
    this.mediaClock = new MediaClock();
    this.mainStamps = new StreamStamps();
    this.subStamps = new StreamStamps();
    const fail = (err: unknown) => {
      this.log.error({ err: describeError(err) }, 'unreadable stream from the camera ingest ffmpeg');
      this.stderrTail += '\nInvalid data found (unreadable fMP4 from ffmpeg)';
      child.kill('SIGTERM');
    };
    const main = new Fmp4Splitter(
      (init) => {
        this.mainInit = init;
        this.log.info({ codec: init.codec, timescale: init.timescale, audio: init.audio?.codec ?? null }, 'camera stream opened');
        this.recorder?.setInit(init);
        if (!withSub) this.frames?.setInit(init);
        for (const t of this.taps) t.init(init);
      },
      (fragment) => {
        this.toTaps(fragment);
        if (fragment.kind !== 'video') {
          // Sound (when recorded) goes to the recorder beside the video; detection needs none.
          this.recorder?.feed(fragment);
          return;
        }
        this.observeProbe(child, 'main', fragment, main.init);
        this.onMainFragment(fragment, !withSub);
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      try {
        main.push(chunk);
      } catch (err) {
        fail(err);
      }
    });
    if (withSub) {
      const sub = new Fmp4Splitter(
        (init) => {
          this.framesInit = init;
          this.frames?.setInit(init);
        },
        (fragment) => {
          this.observeProbe(child, 'sub', fragment, sub.init);
          this.onFramesFragment(fragment);
        },
      );
      (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => {
        try {
          sub.push(chunk);
        } catch (err) {
          fail(err);
        }
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      // With sound, ffmpeg says so for every fragment holding only audio (its prft box names the
      // video track): noise that would push the real complaint out of the tail.
      const text = chunk.toString().replace(/^.*Unable to write PRFT.*\n?|^\s*Last message repeated \d+ times\n?/gm, '');
      this.stderrTail = (this.stderrTail + text).slice(-4000);
    });
    child.on('error', (err) => {
      this.log.error({ err: describeError(err) }, 'ffmpeg could not be started');
    });
    child.on('close', (code, signal) => this.onExit(child, code, signal));
    this.armWatchdog(STARTUP_WATCHDOG_MS);
    this.adjustConsumers();
  }

  /** A fast-probed run that turns out to carry B-frames is ended and reconnects with the full probe. */
  private observeProbe(child: ChildProcess, stream: string, fragment: Fmp4Fragment, init: Fmp4Init | null): void {
    if (this.probeRestart || this.child !== child) return;
    if (this.probe.observe(stream, fragment, init?.codec ?? null) === 'restart') {
      this.probeRestart = true;
      this.log.info('frames out of display order after a fast start; reconnecting with the full stream probe');
      child.kill('SIGTERM');
    }
  }

  /**
   * When the frame's data arrived: ffmpeg writes a frame's fragment once the next frame comes
   * (it needs it for the duration), so the fragment's arrival less that duration.
   */
  private arrivalOf(fragment: Fmp4Fragment, init: Fmp4Init | null): number {
    const durationMs = (fragment.duration * 1000) / (init?.timescale ?? 90_000);
    return this.deps.clock.now() - Math.min(Math.max(0, durationMs), 1000);
  }

  private onMainFragment(fragment: Fmp4Fragment, framesFromMain: boolean): void {
    const now = Date.now();
    this.fragments++;
    if (this.firstFragmentAt === 0) this.firstFragmentAt = now;
    const cameraTs = this.cameraTime(fragment, now, this.mainStamps, !this.streams.subUrl);
    const arrivalTs = this.arrivalOf(fragment, this.mainInit);
    if (cameraTs !== null) this.noteClock(cameraTs - arrivalTs);
    this.recorder?.feed(fragment);
    if (framesFromMain) this.onFramesFragment(fragment, cameraTs, arrivalTs);
    if (now - this.lastAliveAt >= 500) {
      this.lastAliveAt = now;
      this.onAlive();
    }
  }

  private lastAliveAt = 0;

  private onFramesFragment(fragment: Fmp4Fragment, knownCameraTs?: number | null, knownArrivalTs?: number): void {
    if (!this.frames) return;
    const cameraTs = knownCameraTs !== undefined ? knownCameraTs : this.cameraTime(fragment, Date.now(), this.subStamps, true);
    const arrivalTs = knownArrivalTs ?? this.arrivalOf(fragment, this.framesInit);
    this.frameTimes.set(fragment.pts, { arrivalTs, cameraTs });
    this.mediaClock.note(fragment.pts, arrivalTs, (this.streams.subUrl ? this.framesInit : this.mainInit)?.timescale ?? 90_000);
    if (this.frameTimes.size > 600) {
      const first = this.frameTimes.keys().next().value;
      if (first !== undefined) this.frameTimes.delete(first);
    }
    this.frames.feed(fragment);
  }

  /**
   * The camera's clock time of a fragment's first frame, or null when not known (yet). The moment
   * the camera's clock is first seen, the frames of this stream still waiting in the decoder get
   * theirs too (`forFrames`: this stream feeds detection).
   */
  private cameraTime(fragment: Fmp4Fragment, arrivedAt: number, stamps: StreamStamps, forFrames: boolean): number | null {
    if (fragment.prftMs === null || fragment.prftMediaTime === null) return null;
    const timescale = this.mainInit?.timescale ?? 90_000;
    const { cameraTs, firstOffsetMs } = stamps.note((fragment.pts * 1000) / timescale, fragment.prftMs, arrivedAt);
    if (firstOffsetMs !== null && forFrames) {
      for (const [ticks, time] of this.frameTimes) if (time.cameraTs === null) time.cameraTs = (ticks * 1000) / timescale + firstOffsetMs;
    }
    return cameraTs;
  }

  private noteClock(offsetMs: number): void {
    const at = this.deps.clock.now();
    this.clockSamples.push({ offsetMs, at });
    if (this.clockSamples.length > 50) this.clockSamples.shift();
    if (this.fragments % 50 !== 1) return;
    const offset = this.clockOffsetMs ?? 0;
    const drifted = Math.abs(offset) > CAMERA_CLOCK_DRIFT_WARN_MS;
    this.deps.health.set(
      `camera:${this.camera.id}:clock`,
      drifted ? 'degraded' : 'ok',
      drifted
        ? `the camera's clock is ${(offset / 1000).toFixed(1)} s ${offset > 0 ? 'ahead of' : 'behind'} the hub's: set the camera to use NTP`
        : `camera clock within ${Math.abs(Math.round(offset))} ms of the hub`,
      { offsetMs: offset },
    );
  }

  private attachRecorder(child: ChildProcess): void {
    let listBuf = '';
    (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => {
      listBuf += chunk.toString();
      let nl = listBuf.indexOf('\n');
      while (nl >= 0) {
        const line = listBuf.slice(0, nl).trim();
        listBuf = listBuf.slice(nl + 1);
        if (line) {
          this.recorder?.noteOutput();
          this.onSegmentLine(line);
        }
        nl = listBuf.indexOf('\n');
      }
    });
  }

  private attachFrames(child: ChildProcess): void {
    const { width, height } = this.camera.detect;
    const frameSize = width * height * 3;
    // Each frame is copied once, from the pipe's chunks into a buffer of its own that goes out
    // as it is (a frame is 0.9 MB at 640x480: two more copies a frame cost the GC).
    let frame = new Uint8Array(frameSize);
    let filled = 0;
    const ready: Uint8Array[] = [];
    const times: Array<number | null> = [];
    const pair = () => {
      while (ready.length > 0 && times.length > 0) {
        const data = ready.shift() as Uint8Array;
        const ptsTicks = times.shift() as number | null;
        this.publishFrame(data, ptsTicks);
      }
      // showinfo lines are on another pipe: never hold frames back for long if they lag.
      while (ready.length > 3) this.publishFrame(ready.shift() as Uint8Array, null);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      this.frames?.noteOutput();
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(frameSize - filled, chunk.length - at);
        frame.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === frameSize) {
          ready.push(frame);
          frame = new Uint8Array(frameSize);
          filled = 0;
        }
      }
      pair();
    });
    let errBuf = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      errBuf += chunk.toString();
      let nl = errBuf.indexOf('\n');
      while (nl >= 0) {
        const line = errBuf.slice(0, nl);
        errBuf = errBuf.slice(nl + 1);
        if (line.includes('Parsed_showinfo') && line.includes(' n:')) {
          // pts: in the stream's time base, exact (pts_time is printed to six significant
          // digits: after 10 s of a 90 kHz stream it is several ticks off, and the frame's
          // arrival and camera time were then not found).
          const ticks = /\spts:\s*(-?\d+)\s/.exec(line)?.[1];
          const t = /pts_time:\s*(-?[\d.]+)/.exec(line)?.[1];
          const timescale = (this.streams.subUrl ? this.framesInit : this.mainInit)?.timescale ?? 90_000;
          times.push(ticks !== undefined ? Number(ticks) : t === undefined ? null : Math.round(Number(t) * timescale));
        }
        nl = errBuf.indexOf('\n');
      }
      pair();
    });
  }

  private publishFrame(data: Uint8Array, ptsTicks: number | null): void {
    let time: FrameTime | undefined;
    let ts = this.deps.clock.now();
    if (ptsTicks !== null) {
      time = this.frameTimes.get(ptsTicks) ?? this.frameTimes.get(ptsTicks - 1) ?? this.frameTimes.get(ptsTicks + 1);
      // Its place on the stream's clock, mapped to the hub's: in display order, so frames keep
      // their order even when the camera sends B-frames (a B-frame's data comes after the later
      // frame it refers to, so arrival times go back and forth by a frame or two).
      const mapped = this.mediaClock.wallOf(ptsTicks);
      if (mapped !== null) ts = Math.min(ts, mapped);
      else if (time) ts = time.arrivalTs;
    }
    ts = Math.max(ts, this.lastFrameTs + 1);
    this.lastFrameTs = ts;
    this.deps.frameHub.publish({
      cameraId: this.camera.id,
      ts,
      cameraTs: time?.cameraTs ?? null,
      width: this.camera.detect.width,
      height: this.camera.detect.height,
      format: 'rgb24',
      data,
    });
  }

  private onSegmentLine(line: string): void {
    const [file, start, end] = line.split(',');
    const duration = Number(end) - Number(start);
    if (!file || !Number.isFinite(duration) || duration <= 0) {
      this.log.warn({ line: redactSecrets(line, this.secrets()) }, 'unreadable segment list line');
      return;
    }
    // The list line is written when the segment closes, i.e. at its wall-clock end.
    const endTs = this.deps.clock.now();
    const startTs = endTs - Math.round(duration * 1000);
    const abs = join(this.segmentDir, file);
    const cameraOffsetMs = this.clockOffsetMs;
    void this.indexing.run(async () => {
      try {
        const size = (await stat(abs)).size;
        const record = await this.deps.segments.add({
          cameraId: this.camera.id,
          path: relative(this.deps.dataDir, abs),
          startTs,
          endTs,
          size,
          continuous: this.camera.record.continuous && this.deps.continuousAllowed(),
          cameraOffsetMs,
        });
        this.deps.onSegment(record);
      } catch (err) {
        this.log.error({ file, err: describeError(err) }, 'could not index a finished segment');
      }
    });
  }

  private onAlive(): void {
    this.lastProgressAt = this.deps.clock.now();
    this.armWatchdog(Math.max(6000, this.deps.config.segmentSeconds * 2000));
    if (this.online) return;
    const firstTime = !this.everOnline;
    this.online = true;
    this.everOnline = true;
    this.unreachableSince = null;
    this.backoffMs = 1000;
    this.lastProblem = null;
    this.clearOfflineTimer();
    this.deps.health.set(`camera:${this.camera.id}`, 'ok', `streaming over ${this.transport.toUpperCase()}`, {
      transport: this.transport,
      recording: this.recording,
      frames: this.frames !== null,
      codec: this.codec,
    });
    this.log.info({ transport: this.transport }, 'camera streaming');
    // Said when the camera first streams (pages opened before that update) and when it returns
    // after an outage; a short reconnect that never reached `camera.offline` stays quiet.
    if (this.offlineRaised || firstTime) {
      this.offlineRaised = false;
      this.deps.bus.emit('camera.online', { source: 'recorder', cameraId: this.camera.id });
    }
  }

  private armWatchdog(ms: number): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      // Packets stopped but the socket did not fail (UDP): end this run so a reconnect starts.
      this.log.warn({ silentMs: ms }, 'no data from the camera; restarting ffmpeg');
      this.stderrTail += '\nConnection timed out (no data)';
      this.child?.kill('SIGTERM');
    }, ms);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    if (this.stopped) return;
    const stderr = redactSecrets(this.stderrTail, this.secrets());
    const wasOnline = this.online;
    const restartRequested = wasOnline && this.needsRestartAfterExit();
    if (restartRequested || this.probeRestart) {
      this.log.info(restartRequested ? 'restarting ffmpeg for new outputs' : 'restarting ffmpeg with the full stream probe');
      this.spawnNow();
      return;
    }
    const problem = classifyFfmpegError(stderr);
    // A fast start the camera answered but that yielded no frame: the stream is not what it was
    // (or its SDP lacks parameter sets). Try again at once with the full probe. An unreachable
    // camera or a refused password says nothing about the stream: what was learned is kept.
    if (
      !wasOnline &&
      (problem.code === 'HUB_ERR_CAMERA' || problem.code === 'HUB_ERR_CAMERA_NOT_VIDEO') &&
      this.probe.failedBeforeFrames()
    ) {
      this.log.info({ stderr: stderr.slice(-300) }, 'fast stream probe found no frames; reconnecting with the full probe');
      this.spawnNow();
      return;
    }
    this.lastProblem = problem;
    this.online = false;
    const now = this.deps.clock.now();
    if (this.unreachableSince === null) {
      this.unreachableSince = wasOnline ? now : now;
      this.armOfflineTimer(now);
    }
    // A camera that never worked on this transport may only speak the other one.
    if (!wasOnline && problem.transportRefused && problem.code !== 'HUB_ERR_CAMERA_AUTH') {
      this.transport = this.transport === 'tcp' ? 'udp' : 'tcp';
    }
    this.log.warn(
      { code, signal, errorCode: problem.code, problem: problem.message, stderr: stderr.slice(-600), nextTransport: this.transport },
      'camera stream ended',
    );
    this.deps.health.set(
      `camera:${this.camera.id}`,
      this.offlineRaised ? 'failed' : 'degraded',
      `${this.offlineRaised ? 'offline' : 'reconnecting'}: ${problem.message} (${problem.code})`,
      {
        errorCode: problem.code,
      },
    );
    this.scheduleRetry();
  }

  private needsRestartAfterExit(): boolean {
    const recent = this.deps.clock.now() - this.lastProgressAt < 3000;
    if (!recent) return false;
    if (this.soundChanged()) return true;
    return this.streams.subUrl !== null && this.wantFrames() !== this.withFrames;
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.spawnNow();
    }, delay);
  }

  private armOfflineTimer(since: number): void {
    this.clearOfflineTimer();
    const limit = this.deps.config.offlineAfterSeconds * 1000;
    this.offlineTimer = setTimeout(
      () => {
        this.offlineTimer = null;
        if (this.online || this.stopped || this.offlineRaised) return;
        this.offlineRaised = true;
        const problem = this.lastProblem ?? {
          code: 'HUB_ERR_CAMERA_UNREACHABLE' as const,
          message: 'no video from the camera',
          transportRefused: false,
        };
        this.deps.health.set(`camera:${this.camera.id}`, 'failed', `offline: ${problem.message} (${problem.code})`, {
          errorCode: problem.code,
        });
        this.log.warn({ errorCode: problem.code, everOnline: this.everOnline }, 'camera offline');
        this.deps.bus.emit('camera.offline', {
          source: 'recorder',
          cameraId: this.camera.id,
          reason: problem.message,
          errorCode: problem.code,
        });
      },
      Math.max(0, since + limit - this.deps.clock.now()),
    );
  }

  private clearOfflineTimer(): void {
    if (this.offlineTimer) clearTimeout(this.offlineTimer);
    this.offlineTimer = null;
  }

  /** Stop ffmpeg (SIGTERM, SIGKILL after the grace period) and wait for the last segment's index. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.clearOfflineTimer();
    const child = this.child;
    this.child = null;
    if (child) await stopProcess(child, 3000);
    // The recorder's input ends with the source: it closes and lists its last segment.
    await Promise.all([this.recorder?.stop(3000), this.frames?.stop(1000), ...this.retiring]);
    this.recorder = null;
    this.frames = null;
    await this.indexing.idle();
    await this.learnedWrites.idle();
    this.deps.health.set(`camera:${this.camera.id}`, 'stopped', 'ingest stopped');
  }
}
