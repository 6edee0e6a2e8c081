/**
 * One camera's ffmpeg: start it, read its segment list, frames and progress, restart it with
 * backoff when the camera drops, and say `camera.offline` / `camera.online` when the outage
 * passes the configured limit. The RTSP password only ever reaches ffmpeg's argv; every line
 * logged goes through `redactSecrets`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CameraDevice } from '../api/devices.js';
import { describeError } from '../api/errors.js';
import type { EventBus } from '../api/events.js';
import type { CameraStreams, Clock, Logger } from '../api/plugin.js';
import type { HealthRegistry } from '../health/health.js';
import { redactSecrets } from '../log/logger.js';
import { SerialQueue } from '../storage/serial-queue.js';
import type { FrameHub } from './attachments.js';
import { stopProcess } from './child-process.js';
import type { RecorderConfig } from './config.js';
import { type CameraProblem, classifyFfmpegError, ingestArgs, type RtspTransport, withCredentials } from './ingest-command.js';
import type { SegmentRecord, SegmentStore } from './segment-store.js';

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
}

const MAX_BACKOFF_MS = 30_000;
/** Before the first progress report ffmpeg may still be probing the stream. */
const STARTUP_WATCHDOG_MS = 20_000;

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
  private recording = false;
  lastProblem: CameraProblem | null = null;
  readonly log: Logger;

  constructor(
    readonly streams: CameraStreams,
    readonly camera: CameraDevice,
    private readonly deps: IngestDeps,
  ) {
    this.transport = deps.config.rtspTransport;
    this.log = deps.log.child({ camera: camera.id });
  }

  get cameraId(): string {
    return this.camera.id;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get isOnline(): boolean {
    return this.online;
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

  /** True when the process lacks an output it should now have (a detector subscribed, disk freed). */
  needsRestart(): boolean {
    const wantFrames = this.camera.detect.enabled || this.deps.frameHub.hasSubscribers(this.camera.id);
    return this.child !== null && (wantFrames !== this.withFrames || this.deps.recordingAllowed() !== this.recording);
  }

  /** Restart ffmpeg to pick up new outputs (the camera is not reported offline for this). */
  restart(): void {
    if (this.child) this.child.kill('SIGTERM');
  }

  private spawnNow(): void {
    if (this.stopped) return;
    const { config } = this.deps;
    this.withFrames = this.camera.detect.enabled || this.deps.frameHub.hasSubscribers(this.camera.id);
    this.recording = this.deps.recordingAllowed();
    const runId = this.deps.clock.now();
    const args = ingestArgs({
      mainUrl: withCredentials(this.streams.mainUrl, this.streams.username, this.streams.password),
      subUrl: this.streams.subUrl ? withCredentials(this.streams.subUrl, this.streams.username, this.streams.password) : null,
      transport: this.transport,
      segmentPattern: this.recording ? join(this.segmentDir, `${runId}-%06d.ts`) : null,
      segmentSeconds: config.segmentSeconds,
      frames: this.withFrames ? { fps: this.camera.detect.fps, width: this.camera.detect.width, height: this.camera.detect.height } : null,
      ioTimeoutMs: Math.min(10_000, Math.max(2000, config.offlineAfterSeconds * 500)),
    });
    this.log.info({ args: redactSecrets(args.join(' '), this.secrets()), transport: this.transport }, 'starting camera ingest');
    this.stderrTail = '';
    this.lastProgressAt = 0;
    mkdir(this.segmentDir, { recursive: true }).then(
      () => this.launch(args),
      (err: unknown) => {
        this.log.error({ err: describeError(err) }, 'cannot create the segment folder');
        this.scheduleRetry();
      },
    );
  }

  private launch(args: string[]): void {
    if (this.stopped) return;
    const child = spawn(this.deps.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
    this.child = child;
    const frameSize = this.withFrames ? this.camera.detect.width * this.camera.detect.height * 3 : 0;
    let frameBuf: Buffer[] = [];
    let frameLen = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (frameSize === 0) return;
      frameBuf.push(chunk);
      frameLen += chunk.length;
      if (frameLen < frameSize) return;
      let all = Buffer.concat(frameBuf, frameLen);
      while (all.length >= frameSize) {
        this.publishFrame(all.subarray(0, frameSize));
        all = all.subarray(frameSize);
      }
      frameBuf = all.length > 0 ? [Buffer.from(all)] : [];
      frameLen = all.length;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    let listBuf = '';
    (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => {
      listBuf += chunk.toString();
      let nl = listBuf.indexOf('\n');
      while (nl >= 0) {
        const line = listBuf.slice(0, nl).trim();
        listBuf = listBuf.slice(nl + 1);
        if (line) this.onSegmentLine(line);
        nl = listBuf.indexOf('\n');
      }
    });
    let lastProgress = '';
    (child.stdio[4] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => {
      // A block whose out_time moved means packets are flowing.
      const text = chunk.toString();
      const outTime = /out_time_us=(\d+)/.exec(text)?.[1] ?? '';
      if (outTime && outTime !== lastProgress && outTime !== '0') {
        lastProgress = outTime;
        this.onAlive();
      }
    });
    child.on('error', (err) => {
      this.log.error({ err: describeError(err) }, 'ffmpeg could not be started');
    });
    child.on('close', (code, signal) => this.onExit(child, code, signal));
    this.armWatchdog(STARTUP_WATCHDOG_MS);
  }

  private publishFrame(data: Buffer): void {
    this.deps.frameHub.publish({
      cameraId: this.camera.id,
      ts: this.deps.clock.now(),
      width: this.camera.detect.width,
      height: this.camera.detect.height,
      format: 'rgb24',
      data: new Uint8Array(data),
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
      frames: this.withFrames,
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
    if (restartRequested) {
      this.log.info('restarting ffmpeg for new outputs');
      this.spawnNow();
      return;
    }
    const problem = classifyFfmpegError(stderr);
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
    const wantFrames = this.camera.detect.enabled || this.deps.frameHub.hasSubscribers(this.camera.id);
    const recent = this.deps.clock.now() - this.lastProgressAt < 3000;
    return recent && (wantFrames !== this.withFrames || this.deps.recordingAllowed() !== this.recording);
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
    if (child) {
      await stopProcess(child, 3000);
      // 'close' fires after the pipes drain: the last segment line has been read by then.
      await new Promise<void>((resolve) => (child.stdout?.readableEnded !== false ? resolve() : child.once('close', () => resolve())));
    }
    this.child = null;
    await this.indexing.idle();
    this.deps.health.set(`camera:${this.camera.id}`, 'stopped', 'ingest stopped');
  }
}
