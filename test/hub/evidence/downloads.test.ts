/** Who may download a package, when, and that every attempt is in the audit log. */
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../helpers/api-client.js';
import { invitedClient } from '../../helpers/api-client.js';
import { download, type EvidenceHub, makeClip, people, requestBody, startEvidenceHub, waitForExport } from './fixtures.js';

describe('police downloads', () => {
  let h: EvidenceHub | null = null;
  afterEach(async () => {
    await h?.t.close();
    h = null;
  });

  const setup = async () => {
    h = await startEvidenceHub();
    const p = await people(h.t, 'pc-jones');
    const other = await invitedClient(h.t.url, p.owner, 'police', 'pc-smith');
    const now = h.clock.now();
    await makeClip(h.t, { startTs: now - 5 * 60_000 });
    const mk = async (c: ApiClient) =>
      (await c.post<{ request: { id: string } }>('/api/requests', requestBody(now - 10 * 60_000, now))).body.request.id;
    return { ...p, other, h, mk };
  };

  const auditOf = async (h: EvidenceHub, actions: string[]) =>
    (await h.t.hub.core.audit.entries())
      .filter((e) => actions.includes(e.action))
      .map((e) => ({ action: e.action, actor: e.actor, ...e.subject }));

  it('gives the requesting officer a one-time link and refuses everyone else, auditing each attempt', async () => {
    const { owner, police, policeId, other, h, mk } = await setup();
    const id = await mk(police);
    // Not approved yet: no link.
    const early = await police.post(`/api/requests/${id}/download-token`);
    expect(early.status).toBe(409);
    expect(await owner.post(`/api/requests/${id}/approve`, {})).toMatchObject({ status: 200 });
    await waitForExport(owner, id);

    // Another officer: the request does not exist for them.
    const stranger = await other.post(`/api/requests/${id}/download-token`);
    expect(stranger.status).toBe(404);
    const tok = await police.post<{ token: string; url: string; expiresAt: number }>(`/api/requests/${id}/download-token`);
    expect(tok.status).toBe(200);
    expect(tok.body.expiresAt).toBe(h.clock.now() + 5 * 60_000);
    // Another officer holding the link is still refused: it is tied to the requesting account.
    const stolen = await other.get(tok.body.url);
    expect(stolen.status).toBe(403);
    // The owner is not police: routes are role-checked before anything else.
    expect((await owner.get(tok.body.url)).status).toBe(403);
    const ok = await police.get(tok.body.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/zip');
    const again = await police.get<{ error: { code: string } }>(tok.body.url);
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('HUB_ERR_TOKEN_EXPIRED');

    const otherId = (await other.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const entries = await auditOf(h, ['download_token.refused', 'download_token.issued', 'download.refused', 'download.succeeded']);
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'download_token.refused',
        actor: policeId,
        requestId: id,
        outcome: 'refused',
        reason: `request ${id} is pending, not approved`,
      }),
      expect.objectContaining({
        action: 'download_token.refused',
        actor: otherId,
        requestId: id,
        reason: `request ${id} not found`,
        why: 'not the requesting officer',
      }),
      expect.objectContaining({ action: 'download_token.issued', actor: policeId, requestId: id }),
      expect.objectContaining({
        action: 'download.refused',
        actor: otherId,
        requestId: id,
        reason: 'this download link belongs to another officer',
      }),
      expect.objectContaining({ action: 'download.succeeded', actor: policeId, requestId: id, outcome: 'ok' }),
      expect.objectContaining({
        action: 'download.refused',
        actor: policeId,
        requestId: id,
        reason: 'this download link was already used',
      }),
    ]);
    // The link itself is a secret: it never reaches the log.
    expect(h.t.logs.text()).not.toContain(tok.body.token);
  }, 30_000);

  it('refuses an expired link with HUB_ERR_TOKEN_EXPIRED and audits it', async () => {
    const { owner, police, policeId, h, mk } = await setup();
    const id = await mk(police);
    await owner.post(`/api/requests/${id}/approve`, {});
    await waitForExport(owner, id);
    const tok = await police.post<{ url: string; token: string }>(`/api/requests/${id}/download-token`);
    h.clock.advance(5 * 60_000 + 1);
    const late = await police.get<{ error: { code: string; message: string } }>(tok.body.url);
    expect(late.status).toBe(410);
    expect(late.body.error).toMatchObject({ code: 'HUB_ERR_TOKEN_EXPIRED', message: 'this download link has expired' });
    expect(await auditOf(h, ['download.refused'])).toEqual([
      expect.objectContaining({ actor: policeId, requestId: id, outcome: 'refused', reason: 'this download link has expired' }),
    ]);
    expect(h.t.logs.text()).not.toContain(tok.body.token);
  }, 30_000);

  it('refuses a refused request and an unknown link, auditing both', async () => {
    const { owner, police, policeId, h, mk } = await setup();
    const id = await mk(police);
    expect((await owner.post(`/api/requests/${id}/refuse`, { note: 'not now' })).status).toBe(200);
    expect((await police.post(`/api/requests/${id}/download-token`)).status).toBe(409);
    expect((await police.get('/api/evidence/download/not-a-real-token-at-all')).status).toBe(404);
    const entries = await auditOf(h, ['download_token.refused', 'download.refused']);
    expect(entries).toEqual([
      expect.objectContaining({ action: 'download_token.refused', actor: policeId, reason: `request ${id} is refused, not approved` }),
      expect.objectContaining({ action: 'download.refused', actor: policeId, reason: 'download link not found' }),
    ]);
  }, 30_000);

  it('serves exactly the package the hub built (and refuses one changed on disk)', async () => {
    const { owner, police, h, mk } = await setup();
    const id = await mk(police);
    await owner.post(`/api/requests/${id}/approve`, {});
    await waitForExport(owner, id);
    const dest = join(h.t.dataDir, 'downloaded.zip');
    await download(police, id, dest);
    const row = await h.t.hub.core.db.get<{ path: string; sha256: string }>(
      'SELECT path, sha256 FROM evidence_exports WHERE request_id = ?',
      [id],
    );
    expect(
      createHash('sha256')
        .update(await readFile(dest))
        .digest('hex'),
    ).toBe(row?.sha256);
    await appendFile(join(h.t.dataDir, row?.path ?? ''), 'x');
    const tok = await police.post<{ url: string }>(`/api/requests/${id}/download-token`);
    const r = await police.get<{ error: { code: string } }>(tok.body.url);
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('HUB_ERR_EVIDENCE');
  }, 30_000);
});
