/**
 * The hub side of the detector process: sends frames, matches answers, and supervises it.
 * If the process dies, pending requests fail with HUB_ERR_DETECTOR, health turns degraded and it
 * is restarted with a growing delay; once the model is back, health is ok again.
 */
import type { ChildProcess } from 'node:child_process';
import { describeError, HubError, type HubErrorCode } from '../hub/api/errors.js';
import type { HealthStatus } from '../hub/api/events.js';
import type { Logger } from '../hub/api/plugin.js';
import type { RawFrame } from './frame-format.js';
import type { DetectorInfo, DetectorInit, FromDetector, ToDetector } from './worker-protocol.js';
import { spawnDetectorProcess } from './worker-spawn.js';
import type { Detection } from './zones.js';

export interface DetectResult {
  detections: Detection[];
  inferMs: number;
  prepMs: number;
  /** From sending the frame to having the answer (queueing + transfer + model). */
  roundTripMs: number;
}

export interface DetectorStatus {
  status: HealthStatus;
  message: string;
  info: DetectorInfo | null;
  restarts: number;
}

export interface DetectorClientOptions {
  init: DetectorInit;
  log: Logger;
  onStatus?: (s: DetectorStatus) => void;
  maxRestartDelayMs?: number;
}

interface Pending {
  resolve: (r: DetectResult) => void;
  reject: (err: Error) => void;
  sentAt: number;
}

export class DetectorClient {
  private current: ChildProcess | null = null;
  private ready = false;
  private stopped = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelayMs = 1000;
  private firstReady: { resolve: (i: DetectorInfo) => void; reject: (e: Error) => void } | null = null;
  info: DetectorInfo | null = null;
  restarts = 0;

  constructor(private readonly opts: DetectorClientOptions) {}

  /** Spawn the worker and load the model; resolves with what is in use. */
  start(): Promise<DetectorInfo> {
    return new Promise((resolve, reject) => {
      this.firstReady = { resolve, reject };
      this.spawn();
    });
  }

  get isReady(): boolean {
    return this.ready && !this.stopped;
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The live detector process, for diagnostics (and tests that kill it). */
  get child(): ChildProcess | null {
    return this.current;
  }

  detect(frame: RawFrame): Promise<DetectResult> {
    const worker = this.current;
    if (!worker || !this.ready || this.stopped) {
      return Promise.reject(new HubError('HUB_ERR_DETECTOR', 'the detector is not ready (starting or restarting)'));
    }
    // Only the frame's own bytes (it may be a view into a larger buffer) are serialised.
    const data = frame.data.byteOffset === 0 && frame.data.byteLength === frame.data.buffer.byteLength ? frame.data : frame.data.slice();
    const id = this.nextId++;
    const msg: ToDetector = { type: 'detect', id, frame: { width: frame.width, height: frame.height, format: frame.format, data } };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, sentAt: performance.now() });
      worker.send(msg, (err) => {
        if (!err || !this.pending.delete(id)) return;
        reject(new HubError('HUB_ERR_DETECTOR', `the frame did not reach the detector: ${describeError(err)}`));
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.failPending(new HubError('HUB_ERR_DETECTOR', 'the detector is stopping'));
    this.firstReady?.reject(new HubError('HUB_ERR_DETECTOR', 'the detector was stopped before it was ready'));
    this.firstReady = null;
    const w = this.current;
    this.current = null;
    if (w) await endProcess(w);
  }

  private spawn(): void {
    let worker: ChildProcess;
    try {
      worker = spawnDetectorProcess();
    } catch (err) {
      this.crashed(null, `cannot start the detector worker: ${describeError(err)}`);
      return;
    }
    this.current = worker;
    this.ready = false;
    worker.on('message', (msg: FromDetector) => this.onMessage(worker, msg));
    worker.on('error', (err) => {
      this.opts.log.error({ err: describeError(err) }, 'detector process error');
    });
    worker.on('exit', (code, signal) => {
      if (this.current !== worker || this.stopped) return;
      this.crashed(worker, `detector worker exited (${signal ?? `code ${code}`})`);
    });
    const init: ToDetector = { type: 'init', init: this.opts.init };
    worker.send(init);
  }

  private onMessage(worker: ChildProcess, msg: FromDetector): void {
    if (worker !== this.current) return;
    if (msg.type === 'ready') {
      this.ready = true;
      this.info = msg.info;
      this.restartDelayMs = 1000;
      if (msg.info.fallbacks.length > 0)
        this.opts.log.warn({ fallbacks: msg.info.fallbacks }, 'preferred detector backend unavailable; fell back');
      this.opts.log.info(
        {
          backend: msg.info.backend,
          simd: msg.info.simd,
          threads: msg.info.threads,
          model: msg.info.modelPath,
          inputSize: msg.info.inputSize.join('x'),
          loadMs: msg.info.loadMs,
        },
        'person detector ready',
      );
      this.report('ok', describeInfo(msg.info));
      this.firstReady?.resolve(msg.info);
      this.firstReady = null;
      return;
    }
    if (msg.type === 'init_failed') {
      // A model that cannot load will not load on retry either: report and stay down.
      this.opts.log.error({ err: msg.message, model: this.opts.init.modelPath }, 'person detector could not start');
      this.report('failed', `cannot start: ${msg.message}`);
      this.firstReady?.reject(new HubError('HUB_ERR_DETECTOR', msg.message));
      this.firstReady = null;
      this.current = null;
      void endProcess(worker);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'result') {
      p.resolve({ detections: msg.detections, inferMs: msg.inferMs, prepMs: msg.prepMs, roundTripMs: performance.now() - p.sentAt });
    } else {
      p.reject(new HubError(msg.code as HubErrorCode, msg.message, msg.details ? { details: msg.details } : {}));
    }
  }

  private crashed(worker: ChildProcess | null, why: string): void {
    if (worker && worker === this.current) this.current = null;
    this.ready = false;
    this.failPending(new HubError('HUB_ERR_DETECTOR', why));
    if (this.stopped) return;
    this.restarts++;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, this.opts.maxRestartDelayMs ?? 30_000);
    this.opts.log.error({ restarts: this.restarts, retryInMs: delay }, `${why}; restarting`);
    this.report('degraded', `${why}; restarting in ${Math.round(delay / 1000)} s (restart ${this.restarts})`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopped) this.spawn();
    }, delay);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private report(status: HealthStatus, message: string): void {
    this.opts.onStatus?.({ status, message, info: this.info, restarts: this.restarts });
  }
}

export function describeInfo(info: DetectorInfo): string {
  const backend =
    info.backend === 'wasm'
      ? `wasm${info.simd ? ' (simd)' : ' (no simd)'}`
      : info.threads
        ? `${info.backend} (${info.threads} thread${info.threads === 1 ? '' : 's'})`
        : info.backend;
  return `${backend} ${info.model} ${info.inputSize[0]}x${info.inputSize[1]}`;
}

/** Ends a detector process: SIGTERM, SIGKILL if it is still there after a second. */
async function endProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
  await exited;
  clearTimeout(timer);
}
