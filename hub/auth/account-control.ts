/**
 * What the owner (and each user for themselves) controls about accounts: the signed-in devices
 * (browser sessions and API tokens) with sign-out for each, password change (which signs every
 * other session out), and the owner's disable, enable, remove and renew of other accounts. Every
 * change is audited. An account that is disabled, removed or expired loses its sessions and
 * tokens at once, not at their expiry.
 */
import { ForbiddenError, HubError, NotFoundError, ValidationError } from '../api/errors.js';
import type { Role, SessionUser } from '../api/roles.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../storage/database.js';
import type { Vault } from '../vault/vault.js';
import { type ApiTokenInfo, type ApiTokens, DAY_MS } from './api-tokens.js';
import type { KnownDevices } from './known-devices.js';
import { hashPassword, randomToken, verifyPassword } from './passwords.js';

export const MIN_PASSWORD_LENGTH = 10;

export interface SignedInSession {
  id: string;
  userId: string;
  username: string;
  /** The browser's User-Agent as it signed in (what the list calls the device). */
  device: string;
  address: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  current: boolean;
}

export interface AccountInfo extends SessionUser {
  disabled: boolean;
  removed: boolean;
  expiresAt: number | null;
  createdAt: number;
}

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled: number;
  created_at: number;
  expires_at: number | null;
  removed_at: number | null;
}

export function checkNewPassword(password: string, username: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(`password: use at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  }
  if (password.toLowerCase() === username.toLowerCase()) {
    throw new ValidationError('password: must not be the username', { field: 'password' });
  }
}

/** Whether the row may sign in or keep a session now. */
export function accountUsable(row: Pick<UserRow, 'disabled' | 'expires_at' | 'removed_at'>, now: number): boolean {
  return row.disabled === 0 && row.removed_at === null && (row.expires_at === null || row.expires_at > now);
}

export class AccountControl {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly tokens: ApiTokens,
    private readonly devices: KnownDevices,
    private readonly vault: Vault,
    private readonly now: () => number,
  ) {}

  /** Sessions (and tokens) of one user, or of every user for the owner. */
  async signedIn(viewer: SessionUser, currentSessionId: string): Promise<{ sessions: SignedInSession[]; tokens: ApiTokenInfo[] }> {
    const all = viewer.role === 'owner';
    const rows = await this.db.all<{
      id_hash: string;
      user_id: string;
      username: string;
      user_agent: string;
      address: string;
      created_at: number;
      last_seen_at: number;
      expires_at: number;
    }>(
      `SELECT s.id_hash, s.user_id, u.username, s.user_agent, s.address, s.created_at, s.last_seen_at, s.expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.expires_at > ? ${all ? '' : 'AND s.user_id = ?'} ORDER BY s.last_seen_at DESC`,
      all ? [this.now()] : [this.now(), viewer.id],
    );
    const sessions = rows.map((r) => ({
      id: r.id_hash.slice(0, 16),
      userId: r.user_id,
      username: r.username,
      device: r.user_agent,
      address: r.address,
      createdAt: r.created_at,
      lastUsedAt: r.last_seen_at,
      expiresAt: r.expires_at,
      current: r.id_hash.slice(0, 16) === currentSessionId,
    }));
    const now = this.now();
    const tokens = (await this.tokens.list(all ? null : viewer.id)).filter((t) => t.revokedAt === null && (t.expiresAt ?? Infinity) > now);
    return { sessions, tokens };
  }

  /** Sign one session out. The owner may end anyone's; everyone else only their own. */
  async signOut(actor: SessionUser, sessionId: string): Promise<void> {
    const r =
      actor.role === 'owner'
        ? await this.db.run('DELETE FROM sessions WHERE substr(id_hash, 1, 16) = ?', [sessionId])
        : await this.db.run('DELETE FROM sessions WHERE substr(id_hash, 1, 16) = ? AND user_id = ?', [sessionId, actor.id]);
    if (r.changes === 0) throw new NotFoundError(`session ${sessionId}`);
    await this.audit.append({ action: 'session.signed_out', actor: actor.id, subject: { session: sessionId } });
  }

  /** Change the password (the current one is required) and sign out every other session of this user. */
  async changePassword(user: SessionUser, currentSessionId: string, current: string, next: string): Promise<void> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [user.id]);
    if (!row || !(await verifyPassword(current, row.password_hash))) {
      await this.audit.append({ action: 'password_change.failed', actor: user.id, subject: {} });
      throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'currentPassword: that is not your current password');
    }
    checkNewPassword(next, row.username);
    if (next === current)
      throw new ValidationError('newPassword: choose a password different from the current one', { field: 'newPassword' });
    const hash = await hashPassword(next);
    const change = async () => {
      await this.db.run('UPDATE users SET password_hash = ? WHERE id = ?', [hash, user.id]);
      await this.db.run('DELETE FROM sessions WHERE user_id = ? AND substr(id_hash, 1, 16) != ?', [user.id, currentSessionId]);
    };
    // The footage key is re-wrapped under the new password in the same transaction.
    const identity = this.vault.identityOf(user.id) ?? (await this.vault.identityFromPassword(user.id, current));
    if (identity) await this.vault.rewrap(user, identity, next, { newRecovery: false, withinTransaction: change });
    else await this.db.transaction(change);
    await this.audit.append({ action: 'account.password_changed', actor: user.id, subject: { otherSessionsSignedOut: true } });
  }

  async accounts(): Promise<AccountInfo[]> {
    const rows = await this.db.all<UserRow>('SELECT * FROM users ORDER BY created_at');
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      role: r.role,
      displayName: r.display_name,
      disabled: r.disabled === 1,
      removed: r.removed_at !== null,
      expiresAt: r.expires_at,
      createdAt: r.created_at,
    }));
  }

  private async target(owner: SessionUser, id: string): Promise<UserRow> {
    if (id === owner.id) throw new ForbiddenError('you cannot disable or remove your own account');
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
    if (!row || row.removed_at !== null) throw new NotFoundError(`account ${id}`);
    if (row.role === 'owner') throw new ForbiddenError('another owner account cannot be changed here');
    return row;
  }

  /** Cut an account off now: sessions ended, tokens revoked, known devices forgotten. */
  private async cutOff(userId: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
    await this.tokens.revokeAllOf(userId);
    await this.devices.forgetAllOf(userId);
    await this.vault.forget(userId, 'account cut off');
    this.vault.accountsChanged();
  }

  async setDisabled(owner: SessionUser, id: string, disabled: boolean): Promise<void> {
    const row = await this.target(owner, id);
    await this.db.run('UPDATE users SET disabled = ? WHERE id = ?', [disabled ? 1 : 0, id]);
    if (disabled) await this.cutOff(id);
    this.vault.accountsChanged();
    await this.audit.append({
      action: disabled ? 'account.disabled' : 'account.enabled',
      actor: owner.id,
      subject: { id, username: row.username, role: row.role },
    });
  }

  /**
   * Remove an account for good. The row stays (audit entries and evidence name it) but its
   * password is replaced by an unusable one and its username is freed.
   */
  async remove(owner: SessionUser, id: string): Promise<void> {
    const row = await this.target(owner, id);
    await this.db.run('UPDATE users SET disabled = 1, removed_at = ?, password_hash = ?, username = ? WHERE id = ?', [
      this.now(),
      `removed$${randomToken(16)}`,
      `removed:${id}`,
      id,
    ]);
    await this.cutOff(id);
    await this.audit.append({ action: 'account.removed', actor: owner.id, subject: { id, username: row.username, role: row.role } });
  }

  /** Extend an installer's or police account by `days` from now. */
  async renew(owner: SessionUser, id: string, days: number): Promise<number> {
    const row = await this.target(owner, id);
    const expiresAt = this.now() + days * DAY_MS;
    await this.db.run('UPDATE users SET expires_at = ? WHERE id = ?', [expiresAt, id]);
    await this.audit.append({
      action: 'account.renewed',
      actor: owner.id,
      subject: { id, username: row.username, role: row.role, expiresAt },
    });
    return expiresAt;
  }
}
