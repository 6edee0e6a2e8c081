/**
 * Retention: segments leave when the rolling buffer (or, for continuous recording, the retention
 * period) has passed; clips leave after the retention period; when footage exceeds the disk
 * budget or the disk runs low, the oldest footage goes first. Footage under an active hold
 * (evidence, SmartWater, a police request) is never deleted, whatever the pressure: when only
 * held footage is left, recording stops and health says so instead.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../api/errors.js';
import type { HubCore } from '../core.js';
import { diskFree } from '../health/probes.js';
import type { ClipRecord, HoldRecord } from '../storage/footage.js';
import type { SegmentRecord, SegmentStore } from './segment-store.js';

export interface RetentionReport {
  segmentsDeleted: number;
  clipsDeleted: number;
  usedBytes: number;
  freeBytes: number;
  /** True when only held footage is left and the budget is still exceeded. */
  pressure: boolean;
}

type Item = { kind: 'segment'; seg: SegmentRecord } | { kind: 'clip'; clip: ClipRecord };

const overlaps = (h: HoldRecord, cameraId: string, from: number, to: number) =>
  (h.cameraId === null || h.cameraId === cameraId) && h.fromTs <= to && h.toTs >= from;

export class Retention {
  constructor(
    private readonly core: HubCore,
    private readonly segments: SegmentStore,
    /** Windows of clips being cut: their segments must stay until then. */
    private readonly busyWindows: () => Promise<Array<{ cameraId: string; startTs: number; endTs: number }>>,
  ) {}

  private async clipBytes(clip: ClipRecord): Promise<number> {
    if (!clip.snapshotPath) return clip.size;
    try {
      return clip.size + (await stat(join(this.core.dataDir, clip.snapshotPath))).size;
    } catch (err) {
      this.core.log.debug({ clip: clip.id, err: describeError(err) }, 'snapshot missing when sizing clip');
      return clip.size;
    }
  }

  async run(): Promise<RetentionReport> {
    const { core } = this;
    const cfg = core.config.recorder;
    const now = core.clock.now();
    const holds = await core.footage.activeHolds();
    const busy = await this.busyWindows();
    const inClipWindow = (cameraId: string, from: number, to: number) =>
      busy.some((w) => w.cameraId === cameraId && w.startTs <= to && w.endTs >= from);
    const held = (cameraId: string, from: number, to: number) =>
      holds.some((h) => overlaps(h, cameraId, from, to)) || inClipWindow(cameraId, from, to);
    const report: RetentionReport = { segmentsDeleted: 0, clipsDeleted: 0, usedBytes: 0, freeBytes: 0, pressure: false };

    const bufferCutoff = now - cfg.bufferMinutes * 60_000;
    const retentionCutoff = now - cfg.retentionDays * 86_400_000;
    let segs = await this.segments.live();
    for (const s of segs) {
      const cutoff = s.continuous ? retentionCutoff : bufferCutoff;
      if (s.endTs < cutoff && !held(s.cameraId, s.startTs, s.endTs)) {
        if (await this.deleteSegment(s, s.continuous ? 'retention period passed' : 'rolling buffer passed')) report.segmentsDeleted++;
      }
    }
    let clips = await core.footage.clips();
    for (const c of clips) {
      if (c.endTs < retentionCutoff && !held(c.cameraId, c.startTs, c.endTs)) {
        if (await this.deleteClip(c, `retention: older than ${cfg.retentionDays} days`)) report.clipsDeleted++;
      }
    }

    segs = await this.segments.live();
    clips = await core.footage.clips();
    let used = segs.reduce((n, s) => n + s.size, 0);
    for (const c of clips) used += await this.clipBytes(c);
    let free = (await diskFree(core.dataDir)).free;
    const over = () => (cfg.diskBudgetBytes !== null && used > cfg.diskBudgetBytes) || free < cfg.minFreeBytes;
    if (over()) {
      const items: Item[] = [
        ...segs.filter((s) => !held(s.cameraId, s.startTs, s.endTs)).map((seg): Item => ({ kind: 'segment', seg })),
        ...clips.filter((c) => !held(c.cameraId, c.startTs, c.endTs)).map((clip): Item => ({ kind: 'clip', clip })),
      ].sort((a, b) => (a.kind === 'segment' ? a.seg.startTs : a.clip.startTs) - (b.kind === 'segment' ? b.seg.startTs : b.clip.startTs));
      for (const item of items) {
        if (!over()) break;
        if (item.kind === 'segment') {
          if (await this.deleteSegment(item.seg, 'disk budget')) {
            used -= item.seg.size;
            free += item.seg.size;
            report.segmentsDeleted++;
          }
        } else {
          const bytes = await this.clipBytes(item.clip);
          if (await this.deleteClip(item.clip, 'disk budget: oldest footage removed')) {
            used -= bytes;
            free += bytes;
            report.clipsDeleted++;
          }
        }
      }
    }
    report.usedBytes = used;
    report.freeBytes = free;
    // Footage kept only for a clip being cut is freed once the clip is written: that is not pressure.
    const waitingForClips = segs.some(
      (s) => inClipWindow(s.cameraId, s.startTs, s.endTs) && !holds.some((h) => overlaps(h, s.cameraId, s.startTs, s.endTs)),
    );
    report.pressure = over() && !waitingForClips;
    return report;
  }

  /** Re-checks the hold at the last moment: a hold added during this pass still wins. */
  private async deleteSegment(s: SegmentRecord, reason: string): Promise<boolean> {
    if (await this.core.footage.isHeld(s.cameraId, s.startTs, s.endTs)) return false;
    try {
      await rm(join(this.core.dataDir, s.path), { force: true });
      await this.segments.markDeleted(s.id, reason);
      return true;
    } catch (err) {
      this.core.log.error({ segment: s.path, err: describeError(err) }, 'could not delete a segment');
      return false;
    }
  }

  private async deleteClip(c: ClipRecord, reason: string): Promise<boolean> {
    if (await this.core.footage.isHeld(c.cameraId, c.startTs, c.endTs)) return false;
    try {
      await rm(join(this.core.dataDir, c.path), { force: true });
      if (c.snapshotPath) await rm(join(this.core.dataDir, c.snapshotPath), { force: true });
      await this.core.footage.markClipDeleted(c.id, reason);
      await this.core.audit.append({
        action: 'clip.deleted',
        actor: 'recorder',
        subject: { clipId: c.id, cameraId: c.cameraId, sha256: c.sha256, startTs: c.startTs, endTs: c.endTs, reason },
      });
      return true;
    } catch (err) {
      this.core.log.error({ clip: c.id, err: describeError(err) }, 'could not delete a clip');
      return false;
    }
  }
}
