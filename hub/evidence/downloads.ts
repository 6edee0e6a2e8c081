/**
 * Police downloads: a short-lived, one-time token for the officer who made the request, used
 * from that officer's own session. Every attempt, allowed or refused, goes into the audit log
 * with the reason. Tokens are stored only as their SHA-256 and never logged. The package is
 * sealed to the officer's key (and the owner's): it is opened with the key her sign-in unlocked
 * and streamed as the zip that was built, bit for bit.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConflictError, describeError, ForbiddenError, HubError, NotFoundError } from '../api/errors.js';
import { randomToken, sha256Hex } from '../auth/passwords.js';
import type { HubCore } from '../core.js';
import { hashMedia, type MediaFile, openMedia } from '../vault/media-reader.js';
import type { ExportStore } from './exports-store.js';
import type { RequestStore } from './requests-store.js';

interface TokenRow {
  token_hash: string;
  request_id: string;
  export_id: string;
  user_id: string;
  expires_at: number;
  used_at: number | null;
}

export function registerDownloadRoutes(core: HubCore, requests: RequestStore, exports: ExportStore, tokenMinutes: number): void {
  const { http, audit, db, clock } = core;
  const log = core.log.child({ module: 'evidence-download' });

  const refuse = async (action: string, actor: string, subject: Record<string, unknown>, err: HubError): Promise<never> => {
    await audit.append({ action, actor, subject: { ...subject, outcome: 'refused', reason: err.message } });
    log.warn({ ...subject, code: err.code, reason: err.message }, 'evidence download refused');
    throw err;
  };

  http.route({
    method: 'POST',
    url: '/api/requests/:id/download-token',
    access: { roles: ['police'] },
    params: z.strictObject({ id: z.string().uuid() }),
    handler: async ({ params, session }) => {
      const me = session.user.id;
      const r = await requests.get(params.id);
      const subject = { requestId: params.id };
      if (!r) return refuse('download_token.refused', me, subject, new NotFoundError(`request ${params.id}`));
      // Another officer's request looks the same as a missing one.
      if (r.policeUserId !== me)
        return refuse(
          'download_token.refused',
          me,
          { ...subject, why: 'not the requesting officer' },
          new NotFoundError(`request ${params.id}`),
        );
      if (r.status !== 'approved' && r.status !== 'partial') {
        return refuse('download_token.refused', me, subject, new ConflictError(`request ${r.id} is ${r.status}, not approved`));
      }
      const e = await exports.latest(r.id);
      if (e?.state !== 'ready')
        return refuse('download_token.refused', me, subject, new ConflictError('the evidence package is not ready yet'));
      const token = randomToken();
      const expiresAt = clock.now() + tokenMinutes * 60_000;
      await db.run(
        'INSERT INTO download_tokens (token_hash, request_id, export_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        [sha256Hex(token), r.id, e.id, me, clock.now(), expiresAt],
      );
      await audit.append({
        action: 'download_token.issued',
        actor: me,
        subject: { requestId: r.id, exportId: e.id, expiresAt, tokenId: sha256Hex(token).slice(0, 12) },
      });
      return { token, expiresAt, url: `/api/evidence/download/${token}` };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/evidence/download/:token',
    access: { roles: ['police'] },
    params: z.strictObject({ token: z.string().min(16).max(128) }),
    handler: async ({ params, session, reply }) => {
      const me = session.user.id;
      const hash = sha256Hex(params.token);
      const tokenId = hash.slice(0, 12);
      const row = await db.get<TokenRow>('SELECT * FROM download_tokens WHERE token_hash = ?', [hash]);
      if (!row) return refuse('download.refused', me, { tokenId }, new NotFoundError('download link'));
      const subject = { requestId: row.request_id, exportId: row.export_id, tokenId };
      if (row.user_id !== me)
        return refuse('download.refused', me, subject, new ForbiddenError('this download link belongs to another officer'));
      if (row.expires_at <= clock.now())
        return refuse('download.refused', me, subject, new HubError('HUB_ERR_TOKEN_EXPIRED', 'this download link has expired'));
      if (row.used_at !== null)
        return refuse('download.refused', me, subject, new HubError('HUB_ERR_TOKEN_EXPIRED', 'this download link was already used'));
      const r = await requests.get(row.request_id);
      if (r?.status !== 'approved' && r?.status !== 'partial')
        return refuse('download.refused', me, subject, new ConflictError('the request is not approved'));
      const e = await exports.get(row.export_id);
      if (e?.state !== 'ready' || !e.path || !e.sha256)
        return refuse('download.refused', me, subject, new ConflictError('the evidence package is not ready'));
      const abs = resolve(core.dataDir, e.path);
      let actual: string;
      let media: MediaFile;
      try {
        // Sealed to this officer (and the owner): opened with the key her sign-in unlocked.
        media = await openMedia(abs, (p) => core.vault.open(me, p));
        actual = (await hashMedia(media)).sha256;
      } catch (err) {
        if (err instanceof HubError && (err.code === 'HUB_ERR_LOCKED' || err.code === 'HUB_ERR_FORBIDDEN')) {
          return refuse('download.refused', me, subject, err);
        }
        return refuse(
          'download.refused',
          me,
          subject,
          new HubError('HUB_ERR_EVIDENCE', 'the evidence package cannot be read', { cause: err }),
        );
      }
      // The package on disk must be the one that was built and audited.
      if (actual !== e.sha256)
        return refuse(
          'download.refused',
          me,
          subject,
          new HubError('HUB_ERR_EVIDENCE', 'the evidence package changed on the hub since it was built'),
        );
      const claimed = await db.run('UPDATE download_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL', [clock.now(), hash]);
      if (claimed.changes !== 1)
        return refuse('download.refused', me, subject, new HubError('HUB_ERR_TOKEN_EXPIRED', 'this download link was already used'));
      await audit.append({
        action: 'download.succeeded',
        actor: me,
        subject: { ...subject, outcome: 'ok', packageSha256: e.sha256, size: e.size },
      });
      log.info({ requestId: row.request_id, exportId: e.id, size: e.size }, 'evidence package downloaded');
      const ref = (r?.crimeReference ?? 'evidence').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);
      const stream = media.stream();
      stream.on('error', (err) => log.error({ exportId: e.id, err: describeError(err) }, 'evidence package stream failed'));
      reply
        .header('content-type', 'application/zip')
        .header('content-length', String(e.size))
        .header('x-content-sha256', e.sha256)
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="evidence-${ref}-${e.id.slice(0, 8)}.zip"`);
      return reply.send(stream);
    },
  });
}
