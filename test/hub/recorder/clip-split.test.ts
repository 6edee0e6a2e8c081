/**
 * Event clips are bounded: a presence that keeps triggering is cut into clips of at most
 * `maxEventMs` of event (plus pre/post roll), each next clip continuing where the previous ends
 * and naming it, so the first clip is written minutes after the visit started, not at the end.
 * Real SQLite (the intent store), fake time.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClipIntentStore, type PendingClip } from '../../../hub/recorder/clip-intents.js';
import { ClipScheduler } from '../../../hub/recorder/clip-scheduler.js';
import { Database } from '../../../hub/storage/database.js';
import { FootageStore } from '../../../hub/storage/footage.js';
import { migrate } from '../../../hub/storage/migrate.js';
import { tempDir } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const S = 1000;

describe('bounded event clips', () => {
  let db: Database | null = null;
  let scheduler: ClipScheduler | null = null;
  let dir = '';
  afterEach(async () => {
    await scheduler?.stop();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('splits a long presence into linked clips of at most the limit, the first written while the presence goes on', async () => {
    dir = await tempDir('sanctuary-split-');
    db = await Database.open(join(dir, 'sanctuary.db'));
    await migrate(db);
    let now = T0;
    const clock = { now: () => now };
    const intents = new ClipIntentStore(db, new FootageStore(db, clock.now), clock.now);
    const produced: PendingClip[] = [];
    scheduler = new ClipScheduler({
      clock,
      log: new LogCapture('warn').logger,
      segmentMs: 4 * S,
      maxEventMs: 120 * S,
      intents,
      // Segments are recorded up to "now".
      latestSegmentEnd: async () => now,
      produce: async (clip) => {
        produced.push({ ...clip });
      },
      held: async () => undefined,
      failed: async () => undefined,
    });
    const person = (ts: number) =>
      scheduler?.request({
        cameraId: 'door',
        trigger: 'person',
        eventTs: ts,
        correlationId: `c-${ts}`,
        preRollMs: 10 * S,
        postRollMs: 10 * S,
        hold: null,
      });

    // A person stands at the door for five minutes; the detector reports every 5 s.
    const ids = new Set<string>();
    for (let t = 0; t <= 300; t += 5) {
      now = T0 + t * S;
      const clip = person(now);
      if (clip) ids.add(clip.clipId);
      // The first clip is produced once its end is recorded, while the presence still goes on.
      if (t === 135) await vi.waitFor(() => expect(produced.map((p) => p.startTs)).toEqual([T0 - 10 * S]), { timeout: 5000 });
    }
    await scheduler.stored();
    const stored = (await intents.list()).sort((a, b) => a.startTs - b.startTs);
    expect(stored).toHaveLength(3);
    const [a, b, c] = stored;
    if (!a || !b || !c) throw new Error('three clips expected');
    // First clip: pre-roll, 120 s of event, post-roll.
    expect(a.startTs).toBe(T0 - 10 * S);
    expect(a.endTs).toBe(T0 + 130 * S);
    expect(a.continuesClipId).toBeNull();
    // Each next clip starts where the previous ended and names it.
    expect(b.startTs).toBe(a.endTs);
    expect(b.continuesClipId).toBe(a.clipId);
    expect(b.endTs - b.eventTs).toBeLessThanOrEqual(130 * S);
    expect(c.startTs).toBe(b.endTs);
    expect(c.continuesClipId).toBe(b.clipId);
    // No footage is left out between the first trigger's pre-roll and the last one's post-roll.
    expect(c.endTs).toBe(T0 + 310 * S);
    expect(new Set(stored.map((s) => s.clipId))).toEqual(ids);
    // Every trigger landed in exactly one clip.
    expect(stored.reduce((n, s) => n + s.triggers.length, 0)).toBe(61);

    // After the presence ends, the rest is written too.
    now = T0 + 400 * S;
    await vi.waitFor(() => expect(produced.map((p) => p.clipId).sort()).toEqual([a.clipId, b.clipId, c.clipId].sort()), {
      timeout: 5000,
    });
  });

  it('a trigger after the limit that does not overlap the open clip starts an unlinked clip', async () => {
    dir = await tempDir('sanctuary-split-');
    db = await Database.open(join(dir, 'sanctuary.db'));
    await migrate(db);
    let now = T0;
    const clock = { now: () => now };
    const intents = new ClipIntentStore(db, new FootageStore(db, clock.now), clock.now);
    scheduler = new ClipScheduler({
      clock,
      log: new LogCapture('warn').logger,
      segmentMs: 4 * S,
      maxEventMs: 120 * S,
      intents,
      latestSegmentEnd: async () => 0,
      produce: async () => undefined,
      held: async () => undefined,
      failed: async () => undefined,
    });
    const req = (ts: number) =>
      scheduler?.request({
        cameraId: 'door',
        trigger: 'doorbell',
        eventTs: ts,
        correlationId: `c-${ts}`,
        preRollMs: 5 * S,
        postRollMs: 5 * S,
        hold: null,
      });
    const first = req(T0);
    now = T0 + 200 * S;
    const second = req(now);
    await scheduler.stored();
    expect(second?.clipId).not.toBe(first?.clipId);
    expect((await intents.get(second?.clipId ?? ''))?.continuesClipId).toBeNull();
    expect((await intents.get(second?.clipId ?? ''))?.startTs).toBe(T0 + 195 * S);
  });
});
