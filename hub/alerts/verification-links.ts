/**
 * Verification links: what lets an ARC operator, without an account, look at exactly the snapshot
 * or clip the victim consented to send with one alert, for a limited time. The token is random
 * (256 bits) and only its SHA-256 is stored; a link names one clip and what of it (snapshot,
 * clip), expires, and can be revoked by the owner. Opening it is checked here; the route audits.
 */
import { randomUUID } from 'node:crypto';
import { HubError, NotFoundError } from '../api/errors.js';
import { randomToken, sha256Hex } from '../auth/passwords.js';
import type { Database } from '../storage/database.js';

export type LinkTarget = 'snapshot' | 'clip';

export interface LinkGrant {
  snapshot: boolean;
  clip: boolean;
}

export interface LinkRow {
  id: string;
  token_hash: string;
  alert_id: string;
  clip_id: string;
  allow_snapshot: number;
  allow_clip: number;
  silent: number;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
  openings: number;
  last_opened_at: number | null;
}

/** Why a link that exists did not open: each is audited with the attempt. */
export class VerificationLinkError extends HubError {
  constructor(
    readonly reason: 'expired' | 'revoked' | 'other_clip' | 'not_consented',
    message: string,
  ) {
    super(reason === 'expired' || reason === 'revoked' ? 'HUB_ERR_TOKEN_EXPIRED' : 'HUB_ERR_FORBIDDEN', message, { details: { reason } });
  }
}

/** base64url of 32 random bytes. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class VerificationLinks {
  constructor(
    private readonly db: Database,
    private readonly ttlMs: number,
  ) {}

  /** A new link for one alert's clip; returns the token (the only time it exists in clear). */
  async issue(alertId: string, clipId: string, grant: LinkGrant, silent: boolean, now: number): Promise<string> {
    const token = randomToken(32);
    await this.db.run(
      `INSERT INTO verification_links (id, token_hash, alert_id, clip_id, allow_snapshot, allow_clip, silent, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [randomUUID(), sha256Hex(token), alertId, clipId, grant.snapshot ? 1 : 0, grant.clip ? 1 : 0, silent ? 1 : 0, now, now + this.ttlMs],
    );
    return token;
  }

  /** The link a token stands for, or null when no link has that token (nothing to audit then). */
  find(token: string): Promise<LinkRow | undefined> {
    if (!TOKEN_PATTERN.test(token)) return Promise.resolve(undefined);
    return this.db.get<LinkRow>('SELECT * FROM verification_links WHERE token_hash = ?', [sha256Hex(token)]);
  }

  /** May this link open `target` of `clipId` now? Throws VerificationLinkError when not. */
  check(link: LinkRow, clipId: string, target: LinkTarget, now: number): void {
    if (link.revoked_at !== null) throw new VerificationLinkError('revoked', 'this verification link was withdrawn');
    if (now >= link.expires_at) throw new VerificationLinkError('expired', 'this verification link has expired');
    if (clipId !== link.clip_id) throw new VerificationLinkError('other_clip', 'this verification link does not open that clip');
    const allowed = target === 'snapshot' ? link.allow_snapshot === 1 : link.allow_clip === 1;
    if (!allowed) throw new VerificationLinkError('not_consented', `sharing the ${target} of this alert was not consented`);
  }

  async opened(link: LinkRow, now: number): Promise<void> {
    await this.db.run('UPDATE verification_links SET openings = openings + 1, last_opened_at = ? WHERE id = ?', [now, link.id]);
  }

  forAlert(alertId: string): Promise<LinkRow[]> {
    return this.db.all<LinkRow>('SELECT * FROM verification_links WHERE alert_id = ? ORDER BY created_at', [alertId]);
  }

  /** Every link, newest first, with its alert's kind and correlation id (for the policy). */
  all(limit: number): Promise<Array<LinkRow & { kind: string; correlation_id: string; alert_silent: number }>> {
    return this.db.all(
      `SELECT l.*, a.kind AS kind, a.correlation_id AS correlation_id, a.silent AS alert_silent
       FROM verification_links l JOIN alerts a ON a.id = l.alert_id ORDER BY l.created_at DESC LIMIT ?`,
      [limit],
    );
  }

  byId(id: string): Promise<LinkRow | undefined> {
    return this.db.get<LinkRow>('SELECT * FROM verification_links WHERE id = ?', [id]);
  }

  /** Withdraw one link; false when it was already withdrawn. */
  async revokeOne(id: string, userId: string, now: number): Promise<boolean> {
    const r = await this.db.run('UPDATE verification_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL', [
      now,
      userId,
      id,
    ]);
    return r.changes > 0;
  }

  /** Withdraw every link of an alert; returns how many were still open. */
  async revoke(alertId: string, userId: string, now: number): Promise<number> {
    const links = await this.forAlert(alertId);
    if (links.length === 0) throw new NotFoundError('a verification link for this alert');
    const live = links.filter((l) => l.revoked_at === null);
    await this.db.run('UPDATE verification_links SET revoked_at = ?, revoked_by = ? WHERE alert_id = ? AND revoked_at IS NULL', [
      now,
      userId,
      alertId,
    ]);
    return live.length;
  }
}
