import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { footageBytes } from '../../helpers/footage.js';
import { eventsNamed, type RecorderRig, startRig, waitFor } from './harness.js';

describe('retention with a tiny disk budget', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('prunes old footage to the budget but never held evidence', { timeout: 120_000 }, async () => {
    // The fixture streams about 100 kB/s: a 3.2 MB budget holds ~32 s of footage: the held clip and its
    // segments, plus the newest pre-roll the recorder always keeps so a new event can still be recorded.
    rig = await startRig({ recorder: { diskBudgetBytes: 3_200_000 } });
    const r = rig;
    const { recorder, t } = r;
    const core = t.hub.core;
    await waitFor('segments', async () => (await recorder.segments.live({ cameraId: 'door' })).length >= 2, 25_000);

    // Clip A becomes evidence (the victim marks it; the recorder turns that into a hold).
    recorder.requestClip('door', 'api');
    const a = await waitFor('clip A', () => eventsNamed(r, 'clip.saved')[0], 25_000);
    t.hub.bus.emit('evidence.marked', { source: 'test', fromTs: a.startTs, toTs: a.endTs, reason: 'victim marked the doorstep visit' });
    await waitFor('hold', async () => (await core.footage.activeHolds()).length === 1);
    const heldSegments = (await recorder.segments.live({ cameraId: 'door' })).filter((s) => s.startTs <= a.endTs && s.endTs >= a.startTs);
    expect(heldSegments.length).toBeGreaterThan(0);

    // Clip B is ordinary footage, recorded after the held window (its pre-roll must not reach into the hold).
    await waitFor('a gap after the held window', () => Date.now() > a.endTs + 3000 + 2500, 15_000);
    recorder.requestClip('door', 'person');
    const b = await waitFor('clip B', () => eventsNamed(r, 'clip.saved')[1], 25_000);

    // Recording goes on; the budget forces the oldest unheld footage out, clip B included.
    await waitFor('clip B pruned', async () => (await core.footage.clip(b.clipId))?.deletedAt !== null, 60_000);
    const clipB = await core.footage.clip(b.clipId);
    expect(clipB?.deleteReason).toMatch(/disk budget/);
    expect(existsSync(join(t.dataDir, clipB?.path ?? 'x'))).toBe(false);
    const audit = await core.audit.entries();
    expect(audit.find((e) => e.action === 'clip.deleted' && e.subject.clipId === b.clipId)?.subject.reason).toMatch(/disk budget/);

    // Held evidence survives whole: the clip (same hash) and the segments under the hold.
    const clipA = await core.footage.clip(a.clipId);
    expect(clipA?.deletedAt).toBeNull();
    const bytes = await footageBytes(t, clipA?.path ?? 'x');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(a.sha256);
    const live = await recorder.segments.live({ cameraId: 'door' });
    for (const s of heldSegments) {
      expect(live.map((x) => x.id)).toContain(s.id);
      expect(existsSync(join(t.dataDir, s.path))).toBe(true);
    }
    // Unheld segments older than the hold go too. Ordinary clips are shed before old segments, so
    // the pass that took clip B may have reached the budget with them still there; the recording
    // goes on, and the next passes over the budget take them, oldest first.
    const first = heldSegments[0];
    if (!first) throw new Error('no held segment');
    await waitFor(
      'unheld segments older than the hold pruned',
      async () => {
        await recorder.requestRetention();
        return (await recorder.segments.live({ cameraId: 'door' })).every((s) => s.endTs >= first.startTs);
      },
      60_000,
    );
    for (const s of heldSegments) expect((await recorder.segments.live({ cameraId: 'door' })).map((x) => x.id)).toContain(s.id);
    const report = await recorder.requestRetention();
    expect(report.pressure).toBe(false);
    expect(recorder.recordingPaused).toBe(false);
    // Held footage near the budget may switch continuous recording off for a while (shedding);
    // recording itself never stops.
    expect(eventsNamed(r, 'storage.pressure').filter((e) => e.recordingPaused)).toEqual([]);
    expect(report.usedBytes).toBeLessThanOrEqual(3_200_000);
  });

  it('when only held footage is left, stops recording and raises a health alarm instead of deleting it', { timeout: 90_000 }, async () => {
    rig = await startRig({ recorder: { diskBudgetBytes: 600_000 } });
    const r = rig;
    const { recorder, t } = r;
    // Everything this camera records is evidence (e.g. a police request covering today).
    await t.hub.core.footage.addHold({
      kind: 'police_request',
      reason: 'request 2024/77',
      cameraId: null,
      fromTs: 0,
      toTs: Date.now() + 3_600_000,
      refId: 'req-77',
    });
    const pressure = await waitFor('storage.pressure', () => eventsNamed(r, 'storage.pressure')[0], 45_000);
    expect(pressure.recordingPaused).toBe(true);
    expect(pressure.budgetBytes).toBe(600_000);
    expect(recorder.recordingPaused).toBe(true);
    expect(t.hub.core.health.get('recorder:storage')?.status).toBe('failed');
    expect(t.hub.core.health.get('recorder:storage')?.message).toMatch(/HUB_ERR_DISK_FULL/);
    // Nothing held was deleted.
    const segs = await recorder.segments.live({ cameraId: 'door' });
    for (const s of segs) expect(existsSync(join(t.dataDir, s.path))).toBe(true);
    const deleted = (await t.hub.core.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM recorder_segments WHERE deleted_at IS NOT NULL'))[0];
    expect(deleted?.n).toBe(0);
    // No new continuous footage is written while paused (the camera is still watched).
    await waitFor('ingest restarted without segments', () => !recorder.status('door').recording && recorder.status('door').online, 20_000);
    const count = segs.length;
    await new Promise((res) => setTimeout(res, 5000));
    expect((await recorder.segments.live({ cameraId: 'door' })).length).toBeLessThanOrEqual(count + 1);
    // A clip cannot be cut without a buffer: the API says why.
    expect(() => recorder.requestClip('door', 'api')).toThrow(/disk is full/);
  });
});
