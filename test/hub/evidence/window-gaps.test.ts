/**
 * Which footage a window holds and why the rest is missing, from the recorder's real segment
 * index (SQLite): runs are never joined across a gap, and each gap gets the reason the index
 * gives (deleted from the rolling buffer, deleted by retention or the disk budget, or never
 * received: camera offline).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWindow } from '../../../hub/evidence/window-export.js';
import { RecorderModule } from '../../../hub/recorder/recorder-module.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { cameraSeed } from '../recorder/harness.js';

const B = Date.UTC(2025, 2, 14, 21, 0, 0);
const s = (sec: number) => B + sec * 1000;

describe('planning a window from the segment index', () => {
  let t: TestHub;
  const recorder = new RecorderModule();

  beforeAll(async () => {
    t = await startTestHub({
      modules: [recorder],
      config: { recorder: { retentionIntervalSeconds: 3600 }, cameras: [cameraSeed('door', 'rtsp://127.0.0.1:1/none')] },
    });
    const add = (a: number, b: number) =>
      recorder.segments.add({ cameraId: 'door', path: `segments/door/${a}.ts`, startTs: s(a), endTs: s(b), size: 1000, continuous: true });
    await add(0, 10);
    await add(10, 20);
    await recorder.segments.markDeleted((await add(20, 30)).id, 'rolling buffer passed');
    // 30-40: nothing reached the hub.
    await add(40, 50);
    await add(50, 60);
    await recorder.segments.markDeleted((await add(60, 70)).id, 'retention period passed');
    await recorder.segments.markDeleted((await add(70, 80)).id, 'disk budget');
    await add(80, 100);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lists the recorded runs and each gap with its reason', async () => {
    const plan = await planWindow(recorder.segments, { cameraId: 'door', cameraName: 'Door' }, s(5), s(95));
    expect(plan.runs.map((r) => r.map((x) => (x.startTs - B) / 1000))).toEqual([[0, 10], [40, 50], [80]]);
    expect(plan.coveredMs).toBe(50_000);
    expect(plan.gaps.map((g) => [(g.fromTs - B) / 1000, (g.toTs - B) / 1000, g.reason])).toEqual([
      [20, 30, 'outside-buffer'],
      [30, 40, 'camera-offline'],
      [60, 80, 'retention'],
    ]);
    expect(plan.gaps[0]?.detail).toContain('rolling buffer passed');
    expect(plan.gaps[1]?.detail).toBe('the hub was recording this camera before this span and received no video during it');
    expect(plan.gaps[2]?.detail).toBe('2 recorded segment(s) here were deleted before the export (retention period passed; disk budget)');
    expect(plan.gaps[0]?.from).toBe(new Date(s(20)).toISOString());
  });

  it('names the time before anything was recorded, and an unknown camera, as never received', async () => {
    const early = await planWindow(recorder.segments, { cameraId: 'door', cameraName: 'Door' }, s(-20), s(5));
    expect(early.gaps.map((g) => [(g.fromTs - B) / 1000, (g.toTs - B) / 1000, g.reason])).toEqual([[-20, 0, 'camera-offline']]);
    expect(early.gaps[0]?.detail).toBe('the hub received no video from this camera during this span');
    const none = await planWindow(recorder.segments, { cameraId: 'garden', cameraName: 'Garden' }, s(0), s(60));
    expect(none.runs).toEqual([]);
    expect(none.coveredMs).toBe(0);
    expect(none.gaps.map((g) => [g.fromTs, g.toTs, g.reason])).toEqual([[s(0), s(60), 'camera-offline']]);
  });
});
