/**
 * When to cut a clip. A trigger opens a window [event - preRoll, event + postRoll]; a trigger on
 * the same camera that starts before the open window ends extends it (one clip, not a pile of
 * overlapping ones). Once the window's end is covered by a finished segment (or a grace period
 * has passed) the clip is produced.
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../api/errors.js';
import type { ClipTrigger } from '../api/events.js';
import type { Clock, Logger } from '../api/plugin.js';

export interface ClipRequest {
  cameraId: string;
  trigger: ClipTrigger;
  eventTs: number;
  correlationId: string;
  preRollMs: number;
  postRollMs: number;
}

export interface PendingClip {
  clipId: string;
  cameraId: string;
  trigger: ClipTrigger;
  eventTs: number;
  correlationId: string;
  startTs: number;
  endTs: number;
  /** Every trigger merged into this clip. */
  triggers: Array<{ trigger: ClipTrigger; eventTs: number; correlationId: string }>;
}

export interface ClipSchedulerDeps {
  clock: Clock;
  log: Logger;
  segmentMs: number;
  /** Wall-clock end of the newest finished segment of a camera (0 when none). */
  latestSegmentEnd(cameraId: string): Promise<number>;
  produce(clip: PendingClip): Promise<void>;
}

/** A clip never grows past this, however long the triggers keep coming. */
const MAX_CLIP_MS = 10 * 60_000;

export class ClipScheduler {
  private readonly pending = new Map<string, PendingClip>();
  private readonly producing = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: ClipSchedulerDeps) {}

  /** Add a trigger; returns the (possibly merged) pending clip. */
  request(r: ClipRequest): PendingClip {
    const startTs = r.eventTs - r.preRollMs;
    const endTs = r.eventTs + r.postRollMs;
    const open = this.pending.get(r.cameraId);
    if (open && startTs <= open.endTs) {
      open.endTs = Math.min(Math.max(open.endTs, endTs), open.startTs + MAX_CLIP_MS);
      open.triggers.push({ trigger: r.trigger, eventTs: r.eventTs, correlationId: r.correlationId });
      return open;
    }
    const clip: PendingClip = {
      clipId: randomUUID(),
      cameraId: r.cameraId,
      trigger: r.trigger,
      eventTs: r.eventTs,
      correlationId: r.correlationId,
      startTs,
      endTs,
      triggers: [{ trigger: r.trigger, eventTs: r.eventTs, correlationId: r.correlationId }],
    };
    if (open) this.finish(open);
    this.pending.set(r.cameraId, clip);
    this.ensureTimer();
    return clip;
  }

  /** Windows that must keep their segments until the clip is written. */
  windows(): Array<{ cameraId: string; startTs: number; endTs: number }> {
    return [...this.pending.values()].map((p) => ({ cameraId: p.cameraId, startTs: p.startTs, endTs: p.endTs }));
  }

  pendingFor(cameraId: string): PendingClip | undefined {
    return this.pending.get(cameraId);
  }

  private ensureTimer(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      this.check().then(undefined, (err: unknown) => this.deps.log.error({ err: describeError(err) }, 'clip check failed'));
    }, 500);
  }

  private async check(): Promise<void> {
    const now = this.deps.clock.now();
    for (const clip of [...this.pending.values()]) {
      if (now < clip.endTs) continue;
      const covered = (await this.deps.latestSegmentEnd(clip.cameraId)) >= clip.endTs;
      const graceOver = now > clip.endTs + 2 * this.deps.segmentMs + 5000;
      if (covered || graceOver) this.finish(clip);
    }
    if (this.pending.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private finish(clip: PendingClip): void {
    if (this.pending.get(clip.cameraId) === clip) this.pending.delete(clip.cameraId);
    const p = this.deps.produce(clip).then(undefined, (err: unknown) => {
      this.deps.log.error({ camera: clip.cameraId, clipId: clip.clipId, err: describeError(err) }, 'event clip could not be written');
    });
    this.producing.add(p);
    p.then(() => this.producing.delete(p));
  }

  /** Write clips still open (their windows may be cut short) and wait for all in progress. */
  async flush(): Promise<void> {
    for (const clip of [...this.pending.values()]) this.finish(clip);
    await Promise.all([...this.producing]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.producing]);
    this.pending.clear();
  }
}
