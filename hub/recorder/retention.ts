/**
 * Retention: segments leave when the rolling buffer (or, for continuous recording, the retention
 * period) has passed; clips leave after the retention period. When footage exceeds the disk
 * budget or the disk runs low, unheld footage goes in this order, oldest first within each:
 * continuous footage, ordinary clips, older buffer footage; the newest pre-roll's worth of
 * buffer only when the disk is physically almost full, so event windows keep being recorded as
 * long as any unheld space can be freed.
 * Footage under an active hold (evidence, SmartWater, a police request, a default hold) or
 * inside a pending clip window is never deleted, whatever the pressure. The report says which
 * state the disk is in: `shedding` (held footage fills the budget; continuous recording off,
 * event windows still recorded) or `pressure` (nothing unheld left to free: writing stops).
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
  /** True when nothing unheld is left to free and the budget (or the disk) is still exceeded. */
  pressure: boolean;
  /** Held footage fills the budget but the rolling buffer still recycles itself: continuous recording off. */
  shedding: boolean;
}

/** Below this much free space the rolling buffer itself gives way (a segment write would fail). */
export const hardFloorBytes = (minFreeBytes: number) => Math.max(8 * 1024 * 1024, Math.floor(minFreeBytes / 4));

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
    const report: RetentionReport = { segmentsDeleted: 0, clipsDeleted: 0, usedBytes: 0, freeBytes: 0, pressure: false, shedding: false };

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
    const floor = hardFloorBytes(cfg.minFreeBytes);
    const diskFull = () => free < floor;
    // The newest footage, enough for the longest pre-roll: what a new event's clip starts from.
    const segmentMs = cfg.segmentSeconds * 1000;
    const keepRecentMs = Math.max(0, ...core.devices.cameras().map((c) => c.record.preRollSeconds * 1000)) + 2 * segmentMs;
    const recent = (seg: SegmentRecord) => !seg.continuous && seg.endTs >= now - keepRecentMs;
    if (over()) {
      const byAge = (a: Item, b: Item) =>
        (a.kind === 'segment' ? a.seg.startTs : a.clip.startTs) - (b.kind === 'segment' ? b.seg.startTs : b.clip.startTs);
      const unheld = segs.filter((s) => !held(s.cameraId, s.startTs, s.endTs));
      const seg = (list: SegmentRecord[]) => list.map((x): Item => ({ kind: 'segment', seg: x })).sort(byAge);
      const ordinaryClips = clips.filter((c) => !held(c.cameraId, c.startTs, c.endTs)).map((clip): Item => ({ kind: 'clip', clip }));
      const shed: Array<{ items: Item[]; when: () => boolean }> = [
        { items: seg(unheld.filter((x) => x.continuous)), when: over },
        { items: ordinaryClips.sort(byAge), when: over },
        { items: seg(unheld.filter((x) => !x.continuous && !recent(x))), when: over },
        { items: seg(unheld.filter(recent)), when: diskFull },
      ];
      for (const stage of shed) {
        for (const item of stage.items) {
          if (!stage.when()) break;
          const bytes = item.kind === 'segment' ? item.seg.size : await this.clipBytes(item.clip);
          const gone =
            item.kind === 'segment'
              ? await this.deleteSegment(item.seg, item.seg.continuous ? 'disk budget: continuous footage shed first' : 'disk budget')
              : await this.deleteClip(item.clip, 'disk budget: oldest footage removed');
          if (!gone) continue;
          used -= bytes;
          free += bytes;
          if (item.kind === 'segment') report.segmentsDeleted++;
          else report.clipsDeleted++;
        }
      }
    }
    report.usedBytes = used;
    report.freeBytes = free;
    // Footage kept only for a clip being cut is freed once the clip is written: that is not pressure.
    const waitingForClips = segs.some(
      (s) => inClipWindow(s.cameraId, s.startTs, s.endTs) && !holds.some((h) => overlaps(h, s.cameraId, s.startTs, s.endTs)),
    );
    if (over() && !waitingForClips) {
      const live = await this.segments.live();
      // Footage that can be recycled: recent unheld segments, or (while paused, when none are being
      // written) a camera whose next segments no hold covers. Without the second, a pause caused by
      // held footage over the budget would never end once the disk has room again.
      const nextUnheld = core.devices.cameras().some((c) => !holds.some((h) => overlaps(h, c.id, now, now + segmentMs)));
      const recyclable = live.some((x) => recent(x) && !held(x.cameraId, x.startTs, x.endTs)) || nextUnheld;
      if (recyclable && !diskFull()) report.shedding = true;
      else report.pressure = true;
    }
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
