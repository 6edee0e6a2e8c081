/** Police requests: what police may see and do, the owner's decision, and the legal hold. */
import { appendFile, chmod, readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventMap } from '../../../hub/api/events.js';
import { invitedClient } from '../../helpers/api-client.js';
import { plainCopy } from '../../helpers/footage.js';
import { CAMERA, type EvidenceHub, makeClip, people, readZip, requestBody, startEvidenceHub, waitForExport } from './fixtures.js';

interface RequestView {
  id: string;
  status: string;
  decisionNote: string | null;
  clipCount: number | null;
  policeUserId?: string;
}

describe('police footage requests', () => {
  let h: EvidenceHub | null = null;
  afterEach(async () => {
    await h?.t.close();
    h = null;
  });

  it('police submit and see only their own requests; they never reach cameras, clips or events', async () => {
    h = await startEvidenceHub();
    const { owner, police, policeId } = await people(h.t);
    const other = await invitedClient(h.t.url, owner, 'police', 'pc-smith');
    const now = h.clock.now();
    const created: Array<EventMap['request.created']> = [];
    h.t.hub.bus.on('request.created', 'test', (e) => {
      created.push(e);
    });
    const mine = await police.post<{ request: RequestView }>('/api/requests', requestBody(now - 3600_000, now));
    expect(mine.status).toBe(200);
    expect(mine.body.request).toMatchObject({ status: 'pending', crimeReference: 'CRIS/2025/0042' });
    expect(mine.body.request.policeUserId).toBeUndefined();
    const theirs = await other.post<{ request: RequestView }>('/api/requests', requestBody(now - 3600_000, now, { crimeReference: 'X/1' }));
    expect(created.map((e) => e.requestId)).toEqual([mine.body.request.id, theirs.body.request.id]);

    const list = await police.get<{ requests: RequestView[] }>('/api/requests');
    expect(list.body.requests.map((r) => r.id)).toEqual([mine.body.request.id]);
    expect((await police.get(`/api/requests/${theirs.body.request.id}`)).status).toBe(404);
    expect((await police.get(`/api/requests/${theirs.body.request.id}/export`)).status).toBe(404);
    for (const path of ['/api/devices', '/api/events', '/api/audit', '/api/incident-logs', '/api/users']) {
      expect((await police.get(path)).status, path).toBe(403);
    }
    // Police cannot decide, their own request or another's.
    expect((await police.post(`/api/requests/${mine.body.request.id}/approve`, {})).status).toBe(403);
    const owners = await owner.get<{ requests: RequestView[] }>('/api/requests');
    expect(owners.body.requests.map((r) => r.id).sort()).toEqual([mine.body.request.id, theirs.body.request.id].sort());
    expect(owners.body.requests.find((r) => r.id === mine.body.request.id)?.policeUserId).toBe(policeId);
    const audit = (await h.t.hub.core.audit.entries()).filter((e) => e.action === 'request.created');
    expect(audit.map((e) => e.actor)).toEqual([policeId, expect.any(String)]);
    expect(audit[0]?.subject).toMatchObject({
      requestId: mine.body.request.id,
      officerId: 'MPS-4471',
      offence: 'Breach of non-molestation order',
    });
  });

  it('names what is wrong in a bad request', async () => {
    h = await startEvidenceHub();
    const { police } = await people(h.t);
    const now = h.clock.now();
    const backwards = await police.post<{ error: { code: string; message: string } }>('/api/requests', requestBody(now, now - 1000));
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.message).toMatch(/toTs/);
    const noCam = await police.post<{ error: { message: string } }>(
      '/api/requests',
      requestBody(now - 1000, now, { cameraIds: ['garage'] }),
    );
    expect(noCam.status).toBe(400);
    expect(noCam.body.error.message).toBe('cameraIds: no camera "garage" in this home');
    const missing = await police.post<{ error: { message: string } }>('/api/requests', {
      ...requestBody(now - 1000, now),
      crimeReference: undefined,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/crimeReference/);
    expect(await h.t.hub.core.db.all('SELECT id FROM police_requests')).toEqual([]);
  });

  it('holds footage while pending and approved, and releases it on refusal', async () => {
    h = await startEvidenceHub();
    const { owner, police } = await people(h.t);
    const now = h.clock.now();
    const { footage } = h.t.hub.core;
    const a = (await police.post<{ request: RequestView }>('/api/requests', requestBody(now - 3600_000, now - 1800_000))).body.request.id;
    const b = (await police.post<{ request: RequestView }>('/api/requests', requestBody(now - 600_000, now))).body.request.id;
    expect(await footage.isHeld(CAMERA, now - 3000_000, now - 2900_000)).toBe(true);
    expect(await footage.isHeld(CAMERA, now - 300_000, now - 200_000)).toBe(true);
    expect(await footage.isHeld(CAMERA, now - 1700_000, now - 1600_000)).toBe(false);

    const decided: Array<EventMap['request.decided']> = [];
    h.t.hub.bus.on('request.decided', 'test', (e) => {
      decided.push(e);
    });
    const refused = await owner.post<{ request: RequestView }>(`/api/requests/${a}/refuse`, { note: 'I do not want this shared' });
    expect(refused.body.request).toMatchObject({ status: 'refused', decisionNote: 'I do not want this shared' });
    expect(await footage.isHeld(CAMERA, now - 3000_000, now - 2900_000)).toBe(false);
    await owner.post(`/api/requests/${b}/approve`, {});
    await waitForExport(owner, b);
    expect(await footage.isHeld(CAMERA, now - 300_000, now - 200_000)).toBe(true);
    expect(decided.map((d) => [d.requestId, d.decision])).toEqual([
      [a, 'refused'],
      [b, 'approved'],
    ]);
    // A decision is final.
    const twice = await owner.post<{ error: { code: string } }>(`/api/requests/${a}/approve`, {});
    expect(twice.status).toBe(409);
    expect((await police.get<{ request: RequestView }>(`/api/requests/${a}`)).body.request).toMatchObject({
      status: 'refused',
      decisionNote: 'I do not want this shared',
    });
    const actions = (await h.t.hub.core.audit.entries()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['hold.added', 'request.refused', 'hold.released', 'request.approved']));
  });

  it('approves part: only the chosen clips go into the package', async () => {
    h = await startEvidenceHub();
    const { owner, police } = await people(h.t);
    const now = h.clock.now();
    const c1 = await makeClip(h.t, { startTs: now - 20 * 60_000, seconds: 1 });
    const c2 = await makeClip(h.t, { startTs: now - 10 * 60_000, seconds: 1 });
    const id = (await police.post<{ request: RequestView }>('/api/requests', requestBody(now - 30 * 60_000, now))).body.request.id;
    const seen = await owner.get<{ clips: Array<{ id: string; sha256: string }> }>(`/api/requests/${id}`);
    expect(seen.body.clips.map((c) => c.id)).toEqual([c1.id, c2.id]);
    const outside = await owner.post<{ error: { message: string } }>(`/api/requests/${id}/approve`, { clipIds: ['not-a-clip'] });
    expect(outside.status).toBe(400);
    expect(outside.body.error.message).toBe('clipIds: clip "not-a-clip" is not footage this request covers');
    const part = await owner.post<{ request: RequestView }>(`/api/requests/${id}/approve`, { clipIds: [c2.id], note: 'only the second' });
    expect(part.body.request.status).toBe('partial');
    expect((await waitForExport(owner, id)).state).toBe('ready');
    const row = await h.t.hub.core.db.get<{ path: string }>('SELECT path FROM evidence_exports WHERE request_id = ?', [id]);
    // Sealed on the card (to the officer and the owner); opened here with the owner's key.
    expect(row?.path).toMatch(/\.zip\.age$/);
    const names = (await readZip(await plainCopy(h.t, row?.path ?? ''))).map(([n]) => n);
    expect(names.filter((n) => n.startsWith('clips/'))).toEqual([`clips/${c2.id}.mp4`]);
    expect((await police.get<{ request: RequestView }>(`/api/requests/${id}`)).body.request).toMatchObject({
      status: 'partial',
      clipCount: 1,
    });
    expect((await h.t.hub.core.audit.entries()).find((e) => e.action === 'request.approved_part')?.subject).toMatchObject({
      clipIds: [c2.id],
    });
  }, 30_000);

  // A byte added (the length no longer fits: found before packing) or a byte changed in place
  // (found as the chunk is opened while packing): either way the export stops, named and audited.
  for (const how of ['a byte added', 'a byte changed in place'] as const) {
    it(`aborts the export when a clip no longer matches what was written (${how})`, async () => {
      h = await startEvidenceHub();
      const { owner, police } = await people(h.t);
      const now = h.clock.now();
      // Several 64 KiB chunks: the one changed in the middle is read only when the clip is packed.
      const clip = await makeClip(h.t, { startTs: now - 5 * 60_000, seconds: 4, bitrateKbps: 1500 });
      const file = `${h.t.dataDir}/${clip.path}`;
      if (how === 'a byte added') await appendFile(file, Buffer.from([0]));
      else {
        const bytes = await readFile(file);
        expect(bytes.length).toBeGreaterThan(4 * 65_536);
        const at = Math.floor(bytes.length / 2);
        bytes[at] = (bytes[at] ?? 0) ^ 0xff;
        await chmod(file, 0o640);
        await writeFile(file, bytes);
      }
      const id = (await police.post<{ request: RequestView }>('/api/requests', requestBody(now - 10 * 60_000, now))).body.request.id;
      await owner.post(`/api/requests/${id}/approve`, {});
      const status = await waitForExport(owner, id);
      expect(status.state).toBe('failed');
      expect(status.error).toMatch(new RegExp(`clip ${clip.id}: altered on the hub`));
      const aborted = (await h.t.hub.core.audit.entries()).find((e) => e.action === 'export.aborted');
      expect(aborted?.subject).toMatchObject({
        requestId: id,
        clipId: clip.id,
        expected: clip.sha256,
        reason: `clip ${clip.id}: altered on the hub (its sealed file does not authenticate)`,
      });
      expect((await police.post(`/api/requests/${id}/download-token`)).status).toBe(409);
    }, 30_000);
  }
});
