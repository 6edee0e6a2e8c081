/**
 * What the disk lets the recorder do, from each retention report: `ok`; `shedding` (held
 * footage fills the budget: continuous recording is off, the rolling buffer recycles itself so
 * event windows are still recorded); `paused` (nothing unheld is left to free: no segment is
 * written until space returns, which the recorder re-checks by itself). Health and
 * `storage.pressure` say which.
 */
import type { HubCore } from '../core.js';
import type { RetentionReport } from './retention.js';

export type StorageMode = 'ok' | 'shedding' | 'paused';

export class StorageState {
  private current: StorageMode = 'ok';

  constructor(
    private readonly core: HubCore,
    /** Called when segment writing stops or resumes (ffmpeg restarts with or without segments). */
    private readonly writingChanged: () => void,
  ) {}

  get mode(): StorageMode {
    return this.current;
  }

  apply(report: RetentionReport): void {
    const core = this.core;
    const next: StorageMode = report.pressure ? 'paused' : report.shedding ? 'shedding' : 'ok';
    const prev = this.current;
    this.current = next;
    const budgetBytes = core.config.recorder.diskBudgetBytes ?? 0;
    const details = { usedBytes: report.usedBytes, freeBytes: report.freeBytes };
    const mb = Math.round(report.usedBytes / 1048576);
    if (next === 'paused') {
      core.health.set(
        'recorder:storage',
        'failed',
        'disk full of held evidence: new footage is not being recorded (HUB_ERR_DISK_FULL)',
        details,
      );
    } else if (next === 'shedding') {
      core.health.set(
        'recorder:storage',
        'degraded',
        `held evidence fills the disk budget (${mb} MB): continuous recording is off, event clips are still recorded`,
        details,
      );
    } else {
      core.health.set('recorder:storage', 'ok', `footage uses ${mb} MB`, { usedBytes: report.usedBytes });
    }
    if (next === prev) return;
    if (next === 'paused') core.log.error(details, 'only held footage is left and the disk is full: recording paused');
    else if (next === 'shedding') core.log.warn(details, 'held footage fills the disk budget: continuous recording off');
    else core.log.info('disk space available again: recording resumed');
    if (next !== 'ok') {
      core.bus.emit('storage.pressure', {
        source: 'recorder',
        freeBytes: report.freeBytes,
        budgetBytes,
        recordingPaused: next === 'paused',
      });
    }
    if (prev === 'paused' || next === 'paused') this.writingChanged();
  }
}
