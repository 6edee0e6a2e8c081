/** The advocate's incident log: printable, self-contained, and visible only to whom it is shared with. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localTime } from '../../../hub/evidence/incident-log.js';
import { NotForThisKeyError, SealedFile, stanzaCount } from '../../../hub/vault/age-file.js';
import { invitedClient } from '../../helpers/api-client.js';
import { footageBytes } from '../../helpers/footage.js';
import { tempDir } from '../../helpers/hub.js';
import { CAMERA, type EvidenceHub, makeClip, people, run, startEvidenceHub } from './fixtures.js';

describe('incident logs for advocates', () => {
  let h: EvidenceHub | null = null;
  afterEach(async () => {
    await h?.t.close();
    h = null;
  });

  it('renders chosen events with inlined snapshots, shared with one advocate and no one else', async () => {
    h = await startEvidenceHub();
    const { owner, police } = await people(h.t);
    const kim = await invitedClient(h.t.url, owner, 'advocate', 'adv-kim');
    const lee = await invitedClient(h.t.url, owner, 'advocate', 'adv-lee');
    const kimId = (await kim.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const now = h.clock.now();
    const clip = await makeClip(h.t, { startTs: now - 60_000, seconds: 1 });
    h.t.hub.bus.emit('smartwater.used', { source: 'api', userId: null, note: 'sprayed at <the man> at the door' });
    // A detection inside the clip, without a picture of its own: the clip's snapshot goes beside it.
    h.t.hub.bus.emit('person.detected', {
      source: 'detector',
      ts: now - 59_500,
      cameraId: CAMERA,
      trackId: 't1',
      score: 0.91,
      box: { x1: 0, y1: 0, x2: 0.1, y2: 0.1 },
      zones: [],
      snapshot: null,
    });
    await h.t.hub.core.eventLog.flush();
    const events = await h.t.hub.core.eventLog.query({ names: ['clip.saved', 'smartwater.used', 'person.detected'] });
    expect(events).toHaveLength(3);

    const made = await owner.post<{ log: { id: string; eventCount: number; sha256: string; advocateIds: string[] } }>(
      '/api/incident-logs',
      {
        title: 'Breaches of the order, March',
        eventSeqs: events.map((e) => e.seq),
        includeSnapshots: true,
        advocateIds: [kimId],
      },
    );
    expect(made.status).toBe(200);
    expect(made.body.log).toMatchObject({ eventCount: 3, advocateIds: [kimId] });
    const id = made.body.log.id;

    const html = await kim.get<string>(`/api/incident-logs/${id}/html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.body).toContain('Breaches of the order, March');
    expect(html.body).toContain('@media print');
    // The snapshot, unaltered (the file's own bytes, its SHA-256 stated), for the clip and for the detection.
    const jpeg = (await footageBytes(h.t, clip.snapshotPath ?? '')).toString('base64');
    expect(html.body.split(`<img src="data:image/jpeg;base64,${jpeg}"`)).toHaveLength(3);
    expect(html.body).toContain(`the original image file unaltered, SHA-256 ${clip.snapshotSha256}`);
    expect(html.body).toContain(clip.sha256);
    // Local time with its zone beside UTC.
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(html.body).toContain(localTime(now - 59_500, zone));
    expect(html.body).toContain(`${new Date(now - 59_500).toISOString().replace('T', ' ').slice(0, 19)} UTC`);
    expect(html.body).toContain(`time zone (${zone})`);

    // The same integrity statement as a package: SHA-256 and an Ed25519 signature openssl checks.
    const sig = await kim.get<{ sha256: string; signature: string; publicKeyPem: string; fingerprint: string }>(
      `/api/incident-logs/${id}/signature`,
    );
    expect(sig.status).toBe(200);
    expect(sig.body.sha256).toBe(made.body.log.sha256);
    const dir = await tempDir('sanctuary-log-');
    await writeFile(join(dir, 'incident-log.html'), html.body);
    await writeFile(join(dir, 'incident-log.html.sig'), Buffer.from(sig.body.signature, 'base64'));
    await writeFile(join(dir, 'hub-public-key.pem'), sig.body.publicKeyPem);
    expect((await run('sha256sum', ['incident-log.html'], { cwd: dir })).stdout.slice(0, 64)).toBe(sig.body.sha256);
    const ssl = await run(
      'openssl',
      [
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        'hub-public-key.pem',
        '-rawin',
        '-in',
        'incident-log.html',
        '-sigfile',
        'incident-log.html.sig',
      ],
      { cwd: dir },
    );
    expect(ssl.stdout).toContain('Signature Verified Successfully');
    expect(html.body).toContain(`fingerprint ${sig.body.fingerprint}`);
    await writeFile(join(dir, 'incident-log.html'), html.body.replace('Breaches', 'Breach'));
    await expect(
      run(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          'hub-public-key.pem',
          '-rawin',
          '-in',
          'incident-log.html',
          '-sigfile',
          'incident-log.html.sig',
        ],
        {
          cwd: dir,
        },
      ),
    ).rejects.toThrow();
    // Text from events is escaped, and nothing is fetched from elsewhere.
    expect(html.body).toContain('sprayed at &lt;the man&gt; at the door');
    expect(html.body).not.toMatch(/<script|src="http/);

    expect((await kim.get<{ logs: Array<{ id: string }> }>('/api/incident-logs')).body.logs.map((l) => l.id)).toEqual([id]);
    expect((await lee.get<{ logs: unknown[] }>('/api/incident-logs')).body.logs).toEqual([]);
    expect((await lee.get(`/api/incident-logs/${id}/html`)).status).toBe(404);
    expect((await police.get(`/api/incident-logs/${id}/html`)).status).toBe(403);
    for (const path of ['/api/events', '/api/devices', '/api/requests', '/api/audit']) {
      expect((await kim.get(path)).status, path).toBe(403);
    }
    expect((await kim.post('/api/incident-logs', { title: 'x', eventSeqs: [1] })).status).toBe(403);

    // The owner shares it with the second advocate too; both reads are audited.
    const lid = (await lee.get<{ user: { id: string } }>('/api/session')).body.user.id;
    expect((await owner.put(`/api/incident-logs/${id}/shares`, { advocateIds: [kimId, lid] })).status).toBe(200);
    expect((await lee.get(`/api/incident-logs/${id}/html`)).status).toBe(200);
    const reads = (await h.t.hub.core.audit.entries()).filter((e) => e.action === 'incident_log.read');
    expect(reads.map((e) => e.actor)).toEqual([kimId, lid]);
    expect(reads.every((e) => e.subject.intact === true)).toBe(true);

    // On the card the log is sealed, to the owner, the hub's boot key and exactly the advocates
    // it is shared with: sharing re-encrypts, and taking Kim off takes her key off the file.
    const row = await h.t.hub.core.db.get<{ path: string }>('SELECT path FROM incident_logs WHERE id = ?', [id]);
    const file = join(h.t.dataDir, row?.path ?? '');
    expect(row?.path).toMatch(/\.html\.age$/);
    expect((await readFile(file)).includes(Buffer.from('Breaches'))).toBe(false);
    expect(await stanzaCount(file)).toBe(4);
    expect((await owner.put(`/api/incident-logs/${id}/shares`, { advocateIds: [lid] })).status).toBe(200);
    expect(await stanzaCount(file)).toBe(3);
    const kimKey = h.t.hub.core.vault.identityOf(kimId);
    if (!kimKey) throw new Error('kim is signed in: her key is unlocked');
    await expect(SealedFile.open(file, [kimKey])).rejects.toBeInstanceOf(NotForThisKeyError);
    const leeKey = h.t.hub.core.vault.identityOf(lid) ?? '';
    expect((await (await SealedFile.open(file, [leeKey])).readAll()).toString()).toContain('Breaches of the order, March');
  }, 30_000);

  it('names a bad selection', async () => {
    h = await startEvidenceHub();
    const { owner, police } = await people(h.t);
    const policeId = (await police.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const none = await owner.post<{ error: { message: string } }>('/api/incident-logs', { title: 'x' });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toMatch(/eventSeqs/);
    const missing = await owner.post<{ error: { message: string } }>('/api/incident-logs', { title: 'x', eventSeqs: [999999] });
    expect(missing.body.error.message).toBe('eventSeqs: no event #999999 on this hub');
    const notAdvocate = await owner.post<{ error: { message: string } }>('/api/incident-logs', {
      title: 'x',
      fromTs: 0,
      toTs: 1,
      advocateIds: [policeId],
    });
    expect(notAdvocate.body.error.message).toBe(`advocateIds: "${policeId}" is not an advocate account`);
  });
});
