/**
 * Turning a clip intent into a clip: cut from the indexed segments, hashed, stored, audited,
 * announced, in that order. Idempotent, because a power cut can fall between any two steps: an
 * intent whose clip row exists already is only completed (its audit entry added if missing).
 * Failures become health and audit entries with the reason (the scheduler decides on retries).
 */
import { HubError } from '../api/errors.js';
import type { HubCore } from '../core.js';
import type { ClipRecord } from '../storage/footage.js';
import type { PendingClip } from './clip-intents.js';
import { dayFolder, writeClip } from './clip-writer.js';
import type { SegmentStore } from './segment-store.js';

export class ClipProducer {
  private failing = 0;

  constructor(
    private readonly core: HubCore,
    private readonly segments: SegmentStore,
  ) {}

  async produce(p: PendingClip): Promise<void> {
    const { core } = this;
    const existing = await core.footage.clip(p.clipId);
    if (existing) {
      const audited = (await core.audit.related([['clipId', p.clipId]])).some((e) => e.action === 'clip.saved');
      if (!audited) await this.audit(existing, p);
      this.recovered();
      return;
    }
    if (!core.ffmpeg) throw new HubError('HUB_ERR_FFMPEG_MISSING', 'ffmpeg is missing');
    const segs = await this.segments.overlapping(p.cameraId, p.startTs, p.endTs);
    const files = await writeClip({
      ffmpegPath: core.ffmpeg.path,
      dataDir: core.dataDir,
      vault: core.vault,
      clipId: p.clipId,
      cameraId: p.cameraId,
      segments: segs,
      eventTs: p.eventTs,
      day: dayFolder(p.eventTs),
    });
    const cameraOffsetMs = medianOffset(segs);
    const clip = await core.footage.addClip({
      id: p.clipId,
      cameraId: p.cameraId,
      trigger: p.trigger,
      path: files.video.path,
      sha256: files.video.sha256,
      size: files.video.size,
      startTs: files.startTs,
      endTs: files.endTs,
      snapshotPath: files.snapshot?.path ?? null,
      snapshotSha256: files.snapshot?.sha256 ?? null,
      correlationId: p.correlationId,
      ...(cameraOffsetMs !== null ? { cameraOffsetMs } : {}),
    });
    await this.audit(clip, p);
    core.bus.emit('clip.saved', {
      source: 'recorder',
      correlationId: p.correlationId,
      clipId: clip.id,
      cameraId: clip.cameraId,
      trigger: clip.trigger,
      startTs: clip.startTs,
      endTs: clip.endTs,
      size: clip.size,
      sha256: clip.sha256,
      snapshotSha256: clip.snapshotSha256,
    });
    this.recovered();
  }

  /** Health and audit for a failed attempt (`final`: it will not be retried). */
  async failed(p: PendingClip, reason: string, final: boolean): Promise<void> {
    const { core } = this;
    this.failing++;
    core.health.set(
      'recorder:clips',
      final ? 'failed' : 'degraded',
      // Health is on the owner's screens: a covert panic's clip is just "a clip" there.
      `a ${this.core.policy.isSilent(p.correlationId) ? 'event' : p.trigger} clip of camera ${p.cameraId} could not be made${final ? '' : ' (retrying)'}: ${reason}`,
      { clipId: p.clipId, attempts: p.attempts },
    );
    await core.audit.append({
      action: 'clip.failed',
      actor: 'recorder',
      subject: {
        clipId: p.clipId,
        cameraId: p.cameraId,
        trigger: p.trigger,
        startTs: p.startTs,
        endTs: p.endTs,
        reason,
        attempt: p.attempts,
        final,
        correlationId: p.correlationId,
      },
    });
  }

  /** A new default evidence hold over a clip window. */
  async held(p: PendingClip, holdId: string): Promise<void> {
    await this.core.audit.append({
      action: 'footage.held',
      actor: 'recorder',
      subject: {
        holdId,
        kind: 'default',
        cameraId: p.cameraId,
        fromTs: p.startTs,
        toTs: p.endTs,
        reason: `held by default: ${p.holdKinds.join(', ')}`,
        clipId: p.clipId,
        correlationId: p.correlationId,
      },
    });
  }

  private recovered(): void {
    if (this.failing === 0) return;
    this.failing = 0;
    this.core.health.set('recorder:clips', 'ok', 'event clips are being written again');
  }

  private async audit(clip: ClipRecord, p: PendingClip): Promise<void> {
    await this.core.audit.append({
      action: 'clip.saved',
      actor: 'recorder',
      subject: {
        clipId: clip.id,
        cameraId: clip.cameraId,
        trigger: clip.trigger,
        path: clip.path,
        sha256: clip.sha256,
        size: clip.size,
        startTs: clip.startTs,
        endTs: clip.endTs,
        snapshotSha256: clip.snapshotSha256,
        requested: { startTs: p.startTs, endTs: p.endTs, eventTs: p.eventTs },
        triggers: p.triggers.map((t) => t.trigger),
        continuesClipId: p.continuesClipId ?? null,
        correlationId: p.correlationId,
      },
    });
  }
}

/** The camera-to-hub clock offset over a clip's segments (median of those that have one), or null. */
export function medianOffset(segments: ReadonlyArray<{ cameraOffsetMs?: number | null }>): number | null {
  const known = segments
    .map((s) => s.cameraOffsetMs)
    .filter((o): o is number => typeof o === 'number')
    .sort((a, b) => a - b);
  if (known.length === 0) return null;
  return known[Math.floor(known.length / 2)] ?? null;
}
