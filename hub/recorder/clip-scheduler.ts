/**
 * When to cut a clip. A trigger opens a window [event - preRoll, event + postRoll]; a trigger on
 * the same camera that starts before the open window ends extends it (one clip, not a pile of
 * overlapping ones). The window is stored as a clip intent first (in trigger order, one write
 * at a time); once its end is covered by a finished segment (or a grace period has passed) the
 * clip is produced. An event clip holds at most `maxEventMs` of event after its first trigger
 * (plus the post-roll): a presence that goes on longer continues in a linked next clip that starts
 * where the previous one ends, so footage is on disk within minutes, not after one long visit.
 * After a restart the stored intents come back: windows still open keep
 * collecting, ended ones are cut from the segments on disk. A clip that fails is retried with
 * backoff while retrying can help; when it cannot, the reason is recorded (intent, health, audit).
 */
import { randomUUID } from 'node:crypto';
import { describeError, HubError } from '../api/errors.js';
import type { ClipTrigger } from '../api/events.js';
import type { Clock, Logger } from '../api/plugin.js';
import { SerialQueue } from '../storage/serial-queue.js';
import type { ClipIntentStore, ClipWindow, HeldKind, PendingClip } from './clip-intents.js';

export type { PendingClip } from './clip-intents.js';

export interface ClipRequest {
  cameraId: string;
  trigger: ClipTrigger;
  eventTs: number;
  correlationId: string;
  preRollMs: number;
  postRollMs: number;
  /** Hold the clip as evidence by default for this reason (null: no default hold). */
  hold: HeldKind | null;
}

export interface ClipSchedulerDeps {
  clock: Clock;
  log: Logger;
  segmentMs: number;
  /** Longest stretch of event one clip covers after its first trigger (pre- and post-roll come on top). */
  maxEventMs: number;
  intents: ClipIntentStore;
  /** Wall-clock end of the newest finished segment of a camera (0 when none). */
  latestSegmentEnd(cameraId: string): Promise<number>;
  produce(clip: PendingClip): Promise<void>;
  /** A new evidence hold was made for a clip window (to audit it). */
  held(clip: PendingClip, holdId: string): Promise<void>;
  /** An attempt failed; `final` when it will not be retried. */
  failed(clip: PendingClip, reason: string, final: boolean): Promise<void>;
}

const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 2000;

/** Another attempt will not fix these: the footage is not there, or ffmpeg is missing. */
const hopeless = (err: unknown) => err instanceof HubError && (err.code === 'HUB_ERR_FFMPEG_MISSING' || err.details?.retryable === false);

export class ClipScheduler {
  private readonly pending = new Map<string, PendingClip>();
  /** Clips whose window is final (a linked next clip took over) waiting for their end to be recorded. */
  private readonly closing = new Map<string, PendingClip>();
  /** Clips waiting for a retry (or restored after a restart), by clip id. */
  private readonly waiting = new Map<string, { clip: PendingClip; at: number }>();
  /** Cut from segments sealed before the last power cut: they wait for the owner's key, not a timer. */
  private readonly waitingForKey = new Map<string, PendingClip>();
  private readonly inFlight = new Map<string, PendingClip>();
  private readonly producing = new Set<Promise<void>>();
  private readonly saves = new SerialQueue();
  private readonly saved = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: ClipSchedulerDeps) {}

  /** Take up the intents a previous run left pending. */
  async restore(): Promise<number> {
    const now = this.deps.clock.now();
    const stored = await this.deps.intents.pending();
    for (const s of stored) {
      const clip: PendingClip = {
        clipId: s.clipId,
        cameraId: s.cameraId,
        trigger: s.trigger,
        eventTs: s.eventTs,
        correlationId: s.correlationId,
        startTs: s.startTs,
        endTs: s.endTs,
        triggers: s.triggers,
        holdKinds: s.holdKinds,
        attempts: s.attempts,
        continuesClipId: s.continuesClipId ?? null,
      };
      if (s.endTs > now && !this.pending.has(s.cameraId) && s.attempts === 0) this.pending.set(s.cameraId, clip);
      else this.waiting.set(clip.clipId, { clip, at: s.nextAttemptAt ?? now });
    }
    if (stored.length > 0) {
      this.deps.log.info({ intents: stored.length }, 'clip windows left pending by the last run are being completed');
      this.ensureTimer();
    }
    return stored.length;
  }

  /** Add a trigger; returns the (possibly merged) pending clip. Its window is stored before it is cut. */
  request(r: ClipRequest): PendingClip {
    const startTs = r.eventTs - r.preRollMs;
    const endTs = r.eventTs + r.postRollMs;
    const open = this.pending.get(r.cameraId);
    const trigger = { trigger: r.trigger, eventTs: r.eventTs, correlationId: r.correlationId };
    if (open && startTs <= open.endTs && r.eventTs <= open.eventTs + this.deps.maxEventMs) {
      open.endTs = Math.min(Math.max(open.endTs, endTs), open.eventTs + this.deps.maxEventMs + r.postRollMs);
      open.triggers.push(trigger);
      if (r.hold && !open.holdKinds.includes(r.hold)) open.holdKinds.push(r.hold);
      this.persist(open);
      return open;
    }
    // Still overlapping but past the open clip's limit: the next clip continues where it ends.
    const continues = open && startTs <= open.endTs ? open : null;
    const clip: PendingClip = {
      clipId: randomUUID(),
      cameraId: r.cameraId,
      trigger: r.trigger,
      eventTs: r.eventTs,
      correlationId: r.correlationId,
      startTs: continues ? continues.endTs : startTs,
      endTs: continues ? Math.max(endTs, continues.endTs + 1) : endTs,
      triggers: [trigger],
      holdKinds: r.hold ? [r.hold] : [],
      attempts: 0,
      continuesClipId: continues?.clipId ?? null,
    };
    this.persist(clip);
    if (continues) {
      this.pending.delete(r.cameraId);
      this.closing.set(continues.clipId, continues);
    } else if (open) this.finish(open);
    this.pending.set(r.cameraId, clip);
    this.ensureTimer();
    return clip;
  }

  /** Wait until every window requested so far is stored. */
  async stored(): Promise<void> {
    await this.saves.idle();
  }

  private persist(clip: PendingClip): void {
    const snapshot: PendingClip = { ...clip, triggers: [...clip.triggers], holdKinds: [...clip.holdKinds] };
    const p = this.saves.run(async () => {
      const { holdId, newHold } = await this.deps.intents.save(snapshot);
      if (newHold && holdId) await this.deps.held(snapshot, holdId);
    });
    p.then(undefined, (err: unknown) => {
      this.deps.log.error({ camera: clip.cameraId, clipId: clip.clipId, err: describeError(err) }, 'could not store a clip window');
    });
    this.saved.set(clip.clipId, p);
  }

  /** Windows that must keep their segments until the clip is written (the stored ones come from the database). */
  windows(): ClipWindow[] {
    const all = [
      ...this.pending.values(),
      ...this.closing.values(),
      ...this.inFlight.values(),
      ...[...this.waiting.values()].map((w) => w.clip),
      ...this.waitingForKey.values(),
    ];
    return all.map((p) => ({ cameraId: p.cameraId, startTs: p.startTs, endTs: p.endTs }));
  }

  pendingFor(cameraId: string): PendingClip | undefined {
    return this.pending.get(cameraId);
  }

  /** Clips not yet written: open windows, in production, waiting for a retry. */
  get outstanding(): number {
    return this.pending.size + this.closing.size + this.inFlight.size + this.waiting.size;
  }

  /** Clips that wait for an owner to unlock footage. */
  get locked(): number {
    return this.waitingForKey.size;
  }

  /** An owner unlocked footage: the clips waiting for a key are cut now. */
  retryLocked(): void {
    if (this.stopped) return;
    for (const clip of [...this.waitingForKey.values()]) {
      this.waitingForKey.delete(clip.clipId);
      this.finish(clip);
    }
  }

  private ensureTimer(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      this.check().then(undefined, (err: unknown) => this.deps.log.error({ err: describeError(err) }, 'clip check failed'));
    }, 500);
  }

  private async check(): Promise<void> {
    const now = this.deps.clock.now();
    for (const clip of [...this.pending.values(), ...this.closing.values()]) {
      if (now < clip.endTs) continue;
      const covered = (await this.deps.latestSegmentEnd(clip.cameraId)) >= clip.endTs;
      const graceOver = now > clip.endTs + 2 * this.deps.segmentMs + 5000;
      if (covered || graceOver) this.finish(clip);
    }
    for (const [id, w] of [...this.waiting]) {
      if (w.at > now) continue;
      this.waiting.delete(id);
      this.finish(w.clip);
    }
    if (this.outstanding === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private finish(clip: PendingClip): void {
    if (this.pending.get(clip.cameraId) === clip) this.pending.delete(clip.cameraId);
    this.closing.delete(clip.clipId);
    this.inFlight.set(clip.clipId, clip);
    const p = (async () => {
      try {
        await (this.saved.get(clip.clipId) ?? Promise.resolve());
        await this.deps.produce(clip);
        await this.deps.intents.markDone(clip.clipId);
        this.saved.delete(clip.clipId);
      } catch (err) {
        await this.failedAttempt(clip, err);
      } finally {
        this.inFlight.delete(clip.clipId);
      }
    })();
    this.producing.add(p);
    p.then(() => this.producing.delete(p));
  }

  private async failedAttempt(clip: PendingClip, err: unknown): Promise<void> {
    if (err instanceof HubError && err.code === 'HUB_ERR_LOCKED' && !this.stopped) {
      // Not a failure of the clip: the footage is there, sealed, and the owner's key will open it.
      this.waitingForKey.set(clip.clipId, clip);
      this.deps.log.warn({ camera: clip.cameraId, clipId: clip.clipId }, 'event clip waits for the owner to unlock footage');
      try {
        await this.deps.failed(clip, describeError(err), false);
      } catch (recordErr) {
        this.deps.log.error({ clipId: clip.clipId, err: describeError(recordErr) }, 'could not record a clip waiting for a key');
      }
      return;
    }
    clip.attempts++;
    const reason = describeError(err);
    const final = this.stopped || hopeless(err) || clip.attempts >= MAX_ATTEMPTS;
    const at = this.deps.clock.now() + RETRY_BASE_MS * 2 ** (clip.attempts - 1);
    this.deps.log.error(
      { camera: clip.cameraId, clipId: clip.clipId, attempt: clip.attempts, final, err: reason },
      'event clip could not be written',
    );
    try {
      // Stopping is not giving up: the intent stays pending and the next start retries it.
      if (!this.stopped) await this.deps.intents.markFailed(clip.clipId, reason, clip.attempts, final ? null : at);
      await this.deps.failed(clip, reason, final && !this.stopped);
    } catch (recordErr) {
      this.deps.log.error({ clipId: clip.clipId, err: describeError(recordErr) }, 'could not record a failed clip');
    }
    if (!final) {
      this.waiting.set(clip.clipId, { clip, at });
      this.ensureTimer();
    }
  }

  /** Write clips still open (their windows may be cut short) and wait for all in progress. */
  async flush(): Promise<void> {
    await this.saves.idle();
    for (const clip of [...this.closing.values(), ...this.pending.values()]) this.finish(clip);
    await Promise.all([...this.producing]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.saves.idle();
    await Promise.all([...this.producing]);
    this.pending.clear();
    this.closing.clear();
    this.waiting.clear();
    this.waitingForKey.clear();
  }
}
