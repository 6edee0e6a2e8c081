/**
 * The routes behind verification links. `GET /api/verify/:token/:clipId/snapshot|clip` is public
 * (the ARC operator has no account): it opens only the clip its link names, only what the victim
 * consented to, only until the link expires or the owner withdraws it, and every attempt with a
 * real token is audited (an unknown token is refused without a trace: there is nothing to tie it
 * to, and anyone could fill the log with them). The owner lists and revokes an alert's links.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { HubError, NotFoundError } from '../api/errors.js';
import type { AlertKind } from '../api/events.js';
import type { HubCore } from '../core.js';
import { type MediaFile, openMedia } from '../vault/media-reader.js';
import type { OutboxStore } from './outbox-store.js';
import { type LinkRow, type LinkTarget, VerificationLinkError, type VerificationLinks } from './verification-links.js';

function linkView(l: LinkRow) {
  return {
    id: l.id,
    clipId: l.clip_id,
    snapshot: l.allow_snapshot === 1,
    clip: l.allow_clip === 1,
    createdAt: l.created_at,
    expiresAt: l.expires_at,
    revokedAt: l.revoked_at,
    openings: l.openings,
    lastOpenedAt: l.last_opened_at,
  };
}

export function registerVerificationRoutes(core: HubCore, links: VerificationLinks, store: OutboxStore): void {
  const now = () => core.clock.now();
  const open = (target: LinkTarget) =>
    core.http.publicRoute({
      method: 'GET',
      url: `/api/verify/:token/:clipId/${target}`,
      access: { public: true },
      params: z.strictObject({ token: z.string().min(1).max(128), clipId: z.string().min(1).max(64) }),
      handler: async ({ params, req, reply }) => {
        const link = await links.find(params.token);
        if (!link) throw new NotFoundError('verification link');
        const audit = (ok: boolean, reason: string | null) =>
          core.audit.append({
            action: 'alert.verification_opened',
            actor: `verification-link:${link.id}`,
            subject: {
              alertId: link.alert_id,
              linkId: link.id,
              clipId: params.clipId,
              target,
              ok,
              reason,
              ip: req.ip,
              userAgent: String(req.headers['user-agent'] ?? '').slice(0, 120),
              // A silent alert's trail stays off the owner's audit listing (hub/policy).
              ...(link.silent === 1 ? { silent: true } : {}),
            },
          });
        try {
          links.check(link, params.clipId, target, now());
        } catch (err) {
          if (err instanceof VerificationLinkError) await audit(false, err.reason);
          throw err;
        }
        const clip = await core.footage.clip(link.clip_id);
        const rel = target === 'snapshot' ? clip?.snapshotPath : clip?.path;
        if (!clip || clip.deletedAt !== null || !rel) {
          await audit(false, 'gone');
          throw new NotFoundError(`${target} of this alert (it is no longer on the hub)`);
        }
        // Sealed on the card: the hub opens it with its boot key (made since the machine came up),
        // or a signed-in owner's key. After a power cut an earlier clip waits for the owner.
        let media: MediaFile;
        try {
          media = await openMedia(join(core.dataDir, rel), (abs) => core.vault.openForHub(abs));
        } catch (err) {
          if (err instanceof HubError && err.code === 'HUB_ERR_LOCKED') await audit(false, 'locked');
          throw err;
        }
        const size = media.size;
        await audit(true, null);
        await links.opened(link, now());
        const sha = target === 'snapshot' ? clip.snapshotSha256 : clip.sha256;
        reply
          .header('content-type', target === 'snapshot' ? 'image/jpeg' : 'video/mp4')
          .header('content-length', String(size))
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer');
        if (sha) reply.header('x-content-sha256', sha);
        return reply.send(media.stream());
      },
    });
  open('snapshot');
  open('clip');

  const idParams = z.strictObject({ id: z.string().uuid() });
  // A silent alert is "not found" on the owner's phone, like in the alerts list.
  const ownerMaySee = (a: { kind: AlertKind; silent: number; correlation_id: string }) =>
    core.policy.mayShow('owner_app', 'alert.raised', { kind: a.kind, silent: a.silent === 1, correlationId: a.correlation_id });
  core.http.route({
    method: 'GET',
    url: '/api/alerts/:id/verification-links',
    access: { roles: ['owner'] },
    params: idParams,
    handler: async ({ params }) => {
      const alert = await store.alert(params.id);
      if (!alert || !ownerMaySee(alert)) throw new NotFoundError('alert');
      return { links: (await links.forAlert(params.id)).map(linkView) };
    },
  });
  core.http.route({
    method: 'POST',
    url: '/api/alerts/:id/verification-links/revoke',
    access: { roles: ['owner'] },
    params: idParams,
    handler: async ({ params, session }) => {
      const alert = await store.alert(params.id);
      if (!alert || !ownerMaySee(alert)) throw new NotFoundError('alert');
      const revoked = await links.revoke(params.id, session.user.id, now());
      await core.audit.append({
        action: 'alert.verification_revoked',
        actor: session.user.id,
        subject: { alertId: params.id, revoked, ...(alert.silent === 1 ? { silent: true } : {}) },
      });
      return { revoked, links: (await links.forAlert(params.id)).map(linkView) };
    },
  });

  // Every link the hub has sent, for the owner's "Links sent with alerts" page: with expiry and
  // openings, one switch each. A silent alert's links are not listed (the policy hides the alert).
  const visible = (l: LinkRow & { kind: string; correlation_id: string; alert_silent: number }) =>
    l.silent !== 1 && ownerMaySee({ kind: l.kind as AlertKind, silent: l.alert_silent, correlation_id: l.correlation_id });
  core.http.route({
    method: 'GET',
    url: '/api/verification-links',
    access: { roles: ['owner'] },
    handler: async () => {
      const t = now();
      return {
        links: (await links.all(500)).filter(visible).map((l) => ({
          ...linkView(l),
          alertId: l.alert_id,
          alertKind: l.kind,
          state: l.revoked_at !== null ? 'revoked' : t >= l.expires_at ? 'expired' : 'open',
        })),
      };
    },
  });
  core.http.route({
    method: 'POST',
    url: '/api/verification-links/:id/revoke',
    access: { roles: ['owner'] },
    params: idParams,
    handler: async ({ params, session }) => {
      const link = await links.byId(params.id);
      const alert = link ? await store.alert(link.alert_id) : undefined;
      if (!link || !alert || link.silent === 1 || !ownerMaySee(alert)) throw new NotFoundError('verification link');
      const changed = await links.revokeOne(link.id, session.user.id, now());
      if (changed)
        await core.audit.append({
          action: 'alert.verification_revoked',
          actor: session.user.id,
          subject: { alertId: link.alert_id, linkId: link.id, revoked: 1 },
        });
      const after = (await links.byId(link.id)) as LinkRow;
      return { revoked: changed ? 1 : 0, link: linkView(after) };
    },
  });
}
