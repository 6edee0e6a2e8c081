/**
 * One consumer of a camera's copied stream (the segment recorder, the detection decoder): its own
 * ffmpeg, fed the fMP4 the camera's source process writes. It starts at a keyframe with the init
 * segment first, so it can join at any time. When it dies it is restarted alone (with backoff),
 * and when it cannot keep up its fragments are dropped up to the next keyframe: neither ever
 * stops the camera session or the other consumers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describeError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import type { Fmp4Fragment, Fmp4Init } from '../media/fmp4.js';
import { stopProcess } from './child-process.js';

export interface ConsumerSpec {
  name: 'record' | 'frames';
  ffmpegPath: string;
  /** The command, asked afresh for each run (the recorder names each run's files anew). */
  args(): string[];
  /** Extra pipes after stdin/stdout/stderr (the recorder's segment list on fd 3). */
  extraFds: number;
  /**
   * A consumer fed for this long without any output is stuck (garbage in its input can make
   * ffmpeg wait for a box that never ends) and is restarted.
   */
  stallMs: number;
  /** Bytes queued to ffmpeg's stdin beyond which fragments are dropped to the next keyframe. */
  maxQueuedBytes: number;
  log: Logger;
  /** Called with each new process so the owner can read its outputs. */
  attach(child: ChildProcess): void;
  /** Said when the consumer stops unexpectedly and when it runs again. */
  onState(state: 'running' | 'failed', detail: string): void;
}

const MAX_BACKOFF_MS = 30_000;

export class StreamConsumer {
  private child: ChildProcess | null = null;
  private init: Fmp4Init | null = null;
  private waitingForKey = true;
  private stopped = false;
  /** ffmpegs told to stop (a restart, a stall) that have not exited yet. */
  private readonly dying = new Set<Promise<void>>();
  private backoffMs = 500;
  private retryTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private stderrTail = '';
  private lastOutputAt = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  /** Fragments dropped because ffmpeg could not keep up (or was restarting). */
  dropped = 0;
  restarts = 0;

  constructor(private readonly spec: ConsumerSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== null;
  }
  get lastStderr(): string {
    return this.stderrTail;
  }

  /** The owner saw output from the current process (frames, a segment): it is not stuck. */
  noteOutput(): void {
    this.lastOutputAt = Date.now();
  }

  /** Test hook: raw bytes into the current process's input (garbage, to prove it recovers). */
  inject(bytes: Buffer): void {
    this.child?.stdin?.write(bytes);
  }

  /** A new source run: its init segment (every fragment after it belongs to it). */
  setInit(init: Fmp4Init): void {
    this.init = init;
    // A consumer cannot switch streams mid-run: restart it on the new source's init.
    if (this.child) this.kill();
    this.spawnNow();
  }

  feed(fragment: Fmp4Fragment): void {
    const child = this.child;
    if (!child?.stdin || child.stdin.destroyed) {
      this.dropped++;
      return;
    }
    if (this.waitingForKey) {
      if (!fragment.keyframe) {
        this.dropped++;
        return;
      }
      this.waitingForKey = false;
      // Silence counts from the first keyframe it is given: with a 10 s GOP the wait for it
      // alone is longer than the stall limit.
      this.lastOutputAt = Date.now();
    }
    if (child.stdin.writableLength > this.spec.maxQueuedBytes) {
      this.dropped++;
      this.waitingForKey = true;
      if (this.dropped % 50 === 1)
        this.spec.log.warn(
          { consumer: this.spec.name, dropped: this.dropped },
          'stream consumer falls behind; dropping to the next keyframe',
        );
      return;
    }
    child.stdin.write(fragment.data);
  }

  private spawnNow(): void {
    if (this.stopped || !this.init || this.child) return;
    const stdio: Array<'pipe' | 'ignore'> = ['pipe', 'pipe', 'pipe'];
    for (let i = 0; i < this.spec.extraFds; i++) stdio.push('pipe');
    const child = spawn(this.spec.ffmpegPath, this.spec.args(), { stdio });
    this.child = child;
    this.startedAt = Date.now();
    this.stderrTail = '';
    this.waitingForKey = true;
    child.stdin?.on('error', (err) => {
      // EPIPE when ffmpeg died: its exit handler restarts it.
      this.spec.log.debug({ consumer: this.spec.name, err: describeError(err) }, 'stream consumer input closed');
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString()).slice(-4000);
    });
    child.on('error', (err) =>
      this.spec.log.error({ consumer: this.spec.name, err: describeError(err) }, 'stream consumer could not be started'),
    );
    child.on('close', (code, signal) => this.onExit(child, code, signal));
    this.spec.attach(child);
    child.stdin?.write(this.init.data);
    this.lastOutputAt = Date.now();
    if (!this.stallTimer) {
      this.stallTimer = setInterval(() => {
        const c = this.child;
        if (c && !this.waitingForKey && Date.now() - this.lastOutputAt > this.spec.stallMs) {
          this.spec.log.warn(
            { consumer: this.spec.name, silentMs: Date.now() - this.lastOutputAt },
            'stream consumer gives no output; restarting it',
          );
          this.lastOutputAt = Date.now();
          c.kill('SIGKILL');
        }
      }, 1000);
      this.stallTimer.unref();
    }
    this.spec.onState('running', `${this.spec.name} running`);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.stopped) return;
    if (Date.now() - this.startedAt > 30_000) this.backoffMs = 500;
    const tail = this.stderrTail
      .split('\n')
      .filter((l) => l && !l.includes('Parsed_showinfo'))
      .slice(-3)
      .join(' | ');
    this.spec.log.warn(
      { consumer: this.spec.name, code, signal, stderr: tail.slice(-400), retryMs: this.backoffMs },
      'stream consumer stopped; restarting it alone',
    );
    this.spec.onState('failed', `${this.spec.name} stopped (${code ?? signal}); restarting`);
    this.restarts++;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.spawnNow();
    }, delay);
  }

  private kill(): void {
    const child = this.child;
    this.child = null;
    if (!child) return;
    // Kept until it has exited, so stop() does not return while a replaced ffmpeg still holds files.
    const dying = stopProcess(child, 2000).finally(() => this.dying.delete(dying));
    this.dying.add(dying);
  }

  /**
   * Stop for good. The recorder's input is closed first so it finishes and lists its last
   * segment (SIGTERM, then SIGKILL, if it does not within the grace period).
   */
  async stop(graceMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    const child = this.child;
    this.child = null;
    if (!child) {
      await Promise.all([...this.dying]);
      return;
    }
    const closed = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('close', () => resolve());
    });
    child.stdin?.end();
    const timer = setTimeout(() => void stopProcess(child, graceMs), graceMs);
    await closed;
    clearTimeout(timer);
    await Promise.all([...this.dying]);
  }
}
