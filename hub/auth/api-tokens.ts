/**
 * API tokens for local integrations (Homebridge). Each has scopes, an expiry and a record of when
 * and from where it was last used; the owner can revoke any of them. Only the SHA-256 of a
 * token is stored.
 */
import { HubError } from '../api/errors.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../storage/database.js';
import { randomToken, sha256Hex } from './passwords.js';

export interface ApiTokenInfo {
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  lastAddress: string;
  revokedAt: number | null;
}

interface TokenRow {
  token_hash: string;
  user_id: string;
  name: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  last_address: string;
  revoked_at: number | null;
}

/** Record last use at most this often, so a busy integration does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

export const DAY_MS = 24 * 3600 * 1000;

function toInfo(r: TokenRow): ApiTokenInfo {
  return {
    id: r.token_hash.slice(0, 16),
    userId: r.user_id,
    name: r.name,
    scopes: JSON.parse(r.scopes) as string[],
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    lastAddress: r.last_address,
    revokedAt: r.revoked_at,
  };
}

export class ApiTokens {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  async issue(userId: string, name: string, scopes: string[], ttlDays: number): Promise<{ token: string; expiresAt: number }> {
    const token = `sat_${randomToken()}`;
    const expiresAt = this.now() + ttlDays * DAY_MS;
    await this.db.run('INSERT INTO api_tokens (token_hash, user_id, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
      sha256Hex(token),
      userId,
      name,
      JSON.stringify(scopes),
      this.now(),
      expiresAt,
    ]);
    await this.audit.append({ action: 'api_token.issued', actor: userId, subject: { name, scopes, expiresAt } });
    return { token, expiresAt };
  }

  /** The live token's row (not revoked, not expired), last use recorded. */
  async use(token: string, address: string): Promise<(ApiTokenInfo & { hash: string }) | null> {
    const hash = sha256Hex(token);
    const row = await this.db.get<TokenRow>('SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL', [hash]);
    if (!row) return null;
    const now = this.now();
    if (row.expires_at !== null && row.expires_at <= now) return null;
    if (row.last_used_at === null || now - row.last_used_at > TOUCH_EVERY_MS || row.last_address !== address) {
      await this.db.run('UPDATE api_tokens SET last_used_at = ?, last_address = ? WHERE token_hash = ?', [now, address, hash]);
    }
    return { ...toInfo(row), hash };
  }

  /** Tokens of one user, or of everyone (the owner's signed-in devices page). */
  async list(userId: string | null): Promise<ApiTokenInfo[]> {
    const rows = userId
      ? await this.db.all<TokenRow>('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at', [userId])
      : await this.db.all<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at');
    return rows.map(toInfo);
  }

  /** Revoke one token; `ownerId` null lets the owner revoke anyone's. */
  async revoke(actorId: string, id: string, ownerId: string | null): Promise<void> {
    const r = ownerId
      ? await this.db.run(
          'UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND substr(token_hash, 1, 16) = ? AND revoked_at IS NULL',
          [this.now(), ownerId, id],
        )
      : await this.db.run('UPDATE api_tokens SET revoked_at = ? WHERE substr(token_hash, 1, 16) = ? AND revoked_at IS NULL', [
          this.now(),
          id,
        ]);
    if (r.changes === 0) throw new HubError('HUB_ERR_NOT_FOUND', 'no such token');
    await this.audit.append({ action: 'api_token.revoked', actor: actorId, subject: { id } });
  }

  async revokeAllOf(userId: string): Promise<void> {
    await this.db.run('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [this.now(), userId]);
  }
}
