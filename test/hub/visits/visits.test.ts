/**
 * Visits: door activity grouped into one story per visit (a real hub, its event log and clip
 * table in SQLite, real HTTP). What the policy hides from a surface never shapes a visit there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VisitView } from '../../../hub/api/visits.js';
import { groupVisits } from '../../../hub/visits/visits.js';
import { ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const S = 1000;

describe('visits', () => {
  let hub: TestHub | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  it('groups activity less than a gap apart; a clip joins the visit it overlaps', () => {
    const ev = (seq: number, t: number, name: string, payload: Record<string, unknown> = {}) => ({ seq, ts: T0 + t * S, name, payload });
    const visits = groupVisits(
      [
        ev(1, 0, 'camera.doorbell', { cameraId: 'door' }),
        ev(2, 5, 'person.detected', { cameraId: 'door' }),
        ev(3, 50, 'person.detected', { cameraId: 'door' }),
        ev(4, 55, 'sensor.opened', { sensorId: 'front', name: 'Front door' }),
        ev(5, 56, 'sensor.opened', { sensorId: 'front', name: 'Front door' }),
        ev(6, 400, 'person.detected', { cameraId: 'door' }),
      ],
      [
        { id: 'c1', cameraId: 'door', startTs: T0 - 10 * S, endTs: T0 + 130 * S, snapshotPath: 'x.jpg' },
        { id: 'c2', cameraId: 'door', startTs: T0 + 130 * S, endTs: T0 + 150 * S, snapshotPath: null },
      ],
    );
    expect(visits).toHaveLength(2);
    const [later, first] = visits as [VisitView, VisitView];
    expect(first.doorbellTs).toEqual([T0]);
    expect(first.persons).toEqual({ count: 2, firstTs: T0 + 5 * S });
    expect(first.sensors).toEqual([{ sensorId: 'front', name: 'Front door', ts: T0 + 55 * S }]);
    expect(first.clips.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(first.clips[0]?.snapshotUrl).toBe('/api/clips/c1/snapshot');
    expect(first.eventSeqs).toEqual([1, 2, 3, 4, 5]);
    expect(first.startTs).toBe(T0 - 10 * S);
    expect(first.endTs).toBe(T0 + 150 * S);
    expect(later.persons.count).toBe(1);
    expect(later.clips).toEqual([]);
  });

  it('GET /api/visits: owner only, built from what the policy lets the owner app show', async () => {
    hub = await startTestHub();
    const owner = await ownerClient(hub.url, hub.setupCode);
    const core = hub.hub.core;
    const now = Date.now();
    core.bus.emit('camera.doorbell', { source: 'test', cameraId: 'door', ts: now - 20 * S });
    core.bus.emit('person.detected', {
      source: 'test',
      cameraId: 'door',
      trackId: 't1',
      score: 0.9,
      box: { x1: 0, y1: 0, x2: 1, y2: 1 },
      zones: [],
      snapshot: null,
      ts: now - 18 * S,
    });
    // Activity tied to a silent fact (a covert panic) is hidden on the owner's phone, clip included.
    core.policy.noteSilent('silent-1', 'silent_panic', now - 10 * 60 * S);
    core.bus.emit('person.detected', {
      source: 'test',
      cameraId: 'door',
      trackId: 't2',
      score: 0.9,
      box: { x1: 0, y1: 0, x2: 1, y2: 1 },
      zones: [],
      snapshot: null,
      ts: now - 10 * 60 * S,
      correlationId: 'silent-1',
    });
    await core.footage.addClip({
      id: '4d7e4a8e-6a1b-4a8e-9c1e-0a6f1d9b2c3d',
      cameraId: 'door',
      trigger: 'panic',
      path: 'clips/x.mp4',
      sha256: 'a'.repeat(64),
      size: 10,
      startTs: now - 10 * 60 * S - 5 * S,
      endTs: now - 10 * 60 * S + 5 * S,
      snapshotPath: null,
      snapshotSha256: null,
      correlationId: 'silent-1',
    });
    await core.footage.addClip({
      id: '5e8f5b9f-7b2c-4b9f-8d2f-1b7f2eac3d4e',
      cameraId: 'door',
      trigger: 'doorbell',
      path: 'clips/y.mp4',
      sha256: 'b'.repeat(64),
      size: 10,
      startTs: now - 25 * S,
      endTs: now - 15 * S,
      snapshotPath: 'clips/y.jpg',
      snapshotSha256: 'c'.repeat(64),
      correlationId: 'door-1',
    });
    const r = await owner.get<{ visits: VisitView[] }>('/api/visits');
    expect(r.status).toBe(200);
    expect(r.body.visits).toHaveLength(1);
    const v = r.body.visits[0];
    expect(v?.doorbellTs).toEqual([now - 20 * S]);
    expect(v?.persons.count).toBe(1);
    expect(v?.clips.map((c) => c.id)).toEqual(['5e8f5b9f-7b2c-4b9f-8d2f-1b7f2eac3d4e']);
    expect(JSON.stringify(r.body)).not.toContain('silent-1');
    expect(JSON.stringify(r.body)).not.toContain('4d7e4a8e');
    // Anonymous callers get nothing.
    expect((await fetch(`${hub.url}/api/visits`)).status).toBe(401);
  });
});
