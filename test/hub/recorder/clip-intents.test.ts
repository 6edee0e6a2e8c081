/**
 * Clip intents: a trigger's window is in SQLite (with its default evidence hold) before the clip
 * exists; a window left pending by a hub that died is completed by the next start from the
 * segments on disk, and retention keeps those segments however late that is; a clip that cannot
 * be made is a health problem and an audit entry with the reason; the owner chooses which kinds
 * are held by default and releases holds, audited.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClipIntentStore } from '../../../hub/recorder/clip-intents.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { tempDir } from '../../helpers/hub.js';
import { eventsNamed, type RecorderRig, startRig, waitFor } from './harness.js';

describe('clip intents', () => {
  let rig: RecorderRig | null = null;
  const dirs: string[] = [];
  afterEach(async () => {
    await rig?.close();
    rig = null;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('stores the window and its default hold before the clip, then completes it', { timeout: 60_000 }, async () => {
    rig = await startRig({});
    const r = rig;
    const { recorder, t } = r;
    const core = t.hub.core;
    await waitFor('a segment', async () => (await recorder.segments.live({ cameraId: 'door' })).length >= 2, 25_000);
    core.bus.emit('panic', { source: 'test', origin: 'api', userId: null, loud: false });
    const pending = await waitFor('the stored intent', async () => (await recorder.intents.pending())[0]);
    expect(pending).toMatchObject({ cameraId: 'door', trigger: 'panic', holdKinds: ['panic'], status: 'pending' });
    expect(pending.endTs - pending.startTs).toBe(6000);
    // Nothing of the clip exists yet, but the hold already protects its window.
    expect(eventsNamed(r, 'clip.saved')).toEqual([]);
    expect(await core.footage.isHeld('door', pending.startTs, pending.endTs)).toBe(true);
    const saved = await waitFor('clip.saved', () => eventsNamed(r, 'clip.saved')[0], 25_000);
    expect(saved.clipId).toBe(pending.clipId);
    expect((await recorder.intents.get(saved.clipId))?.status).toBe('done');
    const audit = await core.audit.entries();
    const held = audit.findIndex((e) => e.action === 'footage.held' && e.subject.clipId === saved.clipId);
    const clipSaved = audit.findIndex((e) => e.action === 'clip.saved' && e.subject.clipId === saved.clipId);
    expect(held).toBeGreaterThanOrEqual(0);
    expect(clipSaved).toBeGreaterThan(held);
    // An ordinary trigger (a person) is not held.
    await waitFor('a gap', () => Date.now() > saved.endTs + 4000, 10_000);
    const person = recorder.requestClip('door', 'person');
    await waitFor('person clip', () => eventsNamed(r, 'clip.saved').find((c) => c.clipId === person.clipId), 25_000);
    expect((await recorder.intents.get(person.clipId))?.holdKinds).toEqual([]);
    expect((await core.footage.activeHolds()).filter((h) => h.refId === person.clipId)).toEqual([]);
  });

  it('a window left pending by a hub that died is cut on the next start; retention keeps its segments', { timeout: 90_000 }, async () => {
    const dataDir = await tempDir('sanctuary-intents-');
    dirs.push(dataDir);
    rig = await startRig({ dataDir });
    const first = rig;
    await waitFor('segments', async () => (await first.recorder.segments.live({ cameraId: 'door' })).length >= 4, 25_000);
    const segs = await first.recorder.segments.live({ cameraId: 'door' });
    const a = segs[1];
    const b = segs[2];
    if (!a || !b) throw new Error('no segments');
    // What a trigger wrote just before the power went: the intent, and nothing else.
    const dying = new ClipIntentStore(first.t.hub.core.db, first.t.hub.core.footage, () => Date.now());
    await dying.save({
      clipId: '6f1f7a52-3a3c-4a8e-9a43-8a3c1f0c9b11',
      cameraId: 'door',
      trigger: 'sensor',
      eventTs: a.endTs,
      correlationId: 'corr-before-the-cut',
      startTs: a.startTs + 100,
      endTs: b.endTs - 100,
      triggers: [{ trigger: 'sensor', eventTs: a.endTs, correlationId: 'corr-before-the-cut' }],
      holdKinds: [],
      attempts: 0,
    });
    // The first hub never learns of it (as if it had died right there): stop it without cutting clips.
    await first.close();
    rig = null;

    // The next start is 5 minutes later by its clock: the rolling buffer (1 min) has passed for every segment.
    const later = { now: () => Date.now() + 5 * 60_000 };
    rig = await startRig({ dataDir, clock: later, recorder: { bufferMinutes: 1, retentionIntervalSeconds: 1 } });
    const second = rig;
    const saved = await waitFor('the restored clip', () => eventsNamed(second, 'clip.saved')[0], 30_000);
    expect(saved.clipId).toBe('6f1f7a52-3a3c-4a8e-9a43-8a3c1f0c9b11');
    expect(saved.correlationId).toBe('corr-before-the-cut');
    expect(saved.startTs).toBe(a.startTs);
    expect(saved.endTs).toBe(b.endTs);
    const clip = await second.t.hub.core.footage.clip(saved.clipId);
    expect(existsSync(join(dataDir, clip?.path ?? 'x'))).toBe(true);
    expect((await second.recorder.intents.get(saved.clipId))?.status).toBe('done');
    // Segments outside the window went with the buffer; the window's were there until the clip was cut.
    await waitFor('old segments pruned', async () => {
      const live = await second.recorder.segments.live({ cameraId: 'door' });
      return !live.some((s) => s.id === segs[0]?.id);
    });
  });

  it('a clip that cannot be made is a health problem and an audit entry with the reason', { timeout: 60_000 }, async () => {
    rig = await startRig({});
    const r = rig;
    const { recorder, t } = r;
    await waitFor('a segment', async () => (await recorder.segments.live({ cameraId: 'door' })).length >= 1, 25_000);
    // A window from an hour ago: no footage was recorded then, so no attempt can help.
    const clip = recorder.requestClip('door', 'alarm', { eventTs: Date.now() - 3_600_000 });
    const failed = await waitFor('the failure', async () => {
      const i = await recorder.intents.get(clip.clipId);
      return i?.status === 'failed' ? i : null;
    });
    expect(failed.lastError).toMatch(/no recorded segments/);
    const health = (await t.hub.core.health.snapshot()).components['recorder:clips'];
    expect(health?.status).toBe('failed');
    expect(health?.message).toMatch(/no recorded segments/);
    // The audit entry follows the intent's state change (a busy machine can read in between).
    const entry = await waitFor('the clip.failed audit entry', async () =>
      (await t.hub.core.audit.entries()).find((e) => e.action === 'clip.failed' && e.subject.clipId === clip.clipId),
    );
    expect(entry?.subject).toMatchObject({ final: true, cameraId: 'door', trigger: 'alarm' });
    expect(String(entry?.subject.reason)).toMatch(/no recorded segments/);
  });

  it('the owner chooses the kinds held by default and releases holds; both audited, nobody else may', { timeout: 60_000 }, async () => {
    rig = await startRig({});
    const r = rig;
    const { recorder, t } = r;
    const owner = await ownerClient(t.url, t.setupCode);
    const police = await invitedClient(t.url, owner, 'police', 'pc-jones');
    expect((await owner.get<{ kinds: string[] }>('/api/recorder/default-holds')).body.kinds).toEqual([
      'panic',
      'duress',
      'alarm',
      'intrusion',
      'smartwater',
    ]);
    expect((await police.put('/api/recorder/default-holds', { kinds: [] })).status).toBe(403);
    expect((await owner.put('/api/recorder/default-holds', { kinds: ['alarm'] })).status).toBe(200);
    await waitFor('a segment', async () => (await recorder.segments.live({ cameraId: 'door' })).length >= 1, 25_000);
    const panic = recorder.requestClip('door', 'panic', { hold: 'panic' });
    await waitFor('panic clip', () => eventsNamed(r, 'clip.saved').find((c) => c.clipId === panic.clipId), 25_000);
    expect((await t.hub.core.footage.activeHolds()).filter((h) => h.refId === panic.clipId)).toEqual([]);
    await waitFor('a gap', () => Date.now() > panic.endTs + 4000, 10_000);
    const alarm = recorder.requestClip('door', 'alarm', { hold: 'alarm' });
    await waitFor('alarm clip', () => eventsNamed(r, 'clip.saved').find((c) => c.clipId === alarm.clipId), 25_000);
    const holds = (await owner.get<{ holds: Array<{ id: string; refId: string }> }>('/api/holds')).body.holds;
    const hold = holds.find((h) => h.refId === alarm.clipId);
    if (!hold) throw new Error('no default hold for the alarm clip');
    expect((await police.post(`/api/holds/${hold.id}/release`)).status).toBe(403);
    expect((await owner.post(`/api/holds/${hold.id}/release`)).status).toBe(200);
    expect(await t.hub.core.footage.isHeld('door', alarm.startTs, alarm.endTs)).toBe(false);
    const audit = await t.hub.core.audit.entries();
    expect(audit.find((e) => e.action === 'recorder.default_holds_changed')?.subject.kinds).toEqual(['alarm']);
    expect(audit.find((e) => e.action === 'hold.released' && e.subject.holdId === hold.id)).toBeDefined();
  });
});
