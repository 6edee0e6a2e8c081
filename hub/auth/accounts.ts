/**
 * Accounts, sessions, invites and API tokens. No account exists until someone holds the setup
 * code the hub prints at first start; nothing has a default password. Sessions are random
 * tokens whose SHA-256 is stored (a stolen database does not hold live cookies).
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError, HubError, UnauthenticatedError, ValidationError } from '../api/errors.js';
import type { Role, SessionUser } from '../api/roles.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../storage/database.js';
import { hashPassword, humanCode, normaliseCode, randomToken, sha256Hex, verifyPassword } from './passwords.js';
import { LoginLimiter } from './rate-limit.js';

export interface Session {
  user: SessionUser;
  csrfToken: string;
  expiresAt: number;
  /** Scopes when authenticated by an API token; null for a browser session (full role rights). */
  scopes: string[] | null;
  sessionId: string;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled: number;
}

export const MIN_PASSWORD_LENGTH = 10;

export type HubMode = 'setup' | 'installing' | 'handover' | 'active';

export class Accounts {
  readonly limiter: LoginLimiter;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly opts: {
      sessionTtlMs: number;
      loginAttempts: number;
      loginWindowMs: number;
      now?: () => number;
    },
  ) {
    this.limiter = new LoginLimiter(opts.loginAttempts, opts.loginWindowMs, opts.now ?? Date.now);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async mode(): Promise<HubMode> {
    const owner = await this.db.get('SELECT id FROM users WHERE role = ? AND disabled = 0', ['owner']);
    if (owner) return 'active';
    const state = await this.db.get<{ value: string }>("SELECT value FROM hub_state WHERE key = 'handover_code_hash'");
    if (state) return 'handover';
    const installer = await this.db.get('SELECT id FROM users WHERE role = ? AND disabled = 0', ['installer']);
    return installer ? 'installing' : 'setup';
  }

  /**
   * With no owner and no setup code yet, make a one-time setup code. Returns the code to print
   * (only when a new one was made) or null.
   */
  async ensureSetupCode(): Promise<string | null> {
    if ((await this.mode()) !== 'setup') return null;
    const code = humanCode();
    await this.setState('setup_code_hash', sha256Hex(normaliseCode(code)));
    return code;
  }

  /** Use the setup (or handover) code to create the owner, or the installer who sets the home up. */
  async claim(input: {
    code: string;
    username: string;
    password: string;
    displayName: string;
    role: 'owner' | 'installer';
  }): Promise<SessionUser> {
    const mode = await this.mode();
    const key = mode === 'handover' ? 'handover_code_hash' : 'setup_code_hash';
    if (mode === 'active' || mode === 'installing') throw new ForbiddenError('this hub is already set up');
    if (mode === 'handover' && input.role !== 'owner') throw new ForbiddenError('the handover code creates the owner account');
    const stored = await this.db.get<{ value: string }>('SELECT value FROM hub_state WHERE key = ?', [key]);
    if (!stored || stored.value !== sha256Hex(normaliseCode(input.code))) {
      await this.audit.append({
        action: 'setup.code_rejected',
        actor: null,
        subject: { username: input.username },
      });
      throw new HubError('HUB_ERR_SETUP_CODE', 'that setup code is not right');
    }
    const user = await this.createUser({ ...input, createdBy: null });
    await this.db.run('DELETE FROM hub_state WHERE key = ?', [key]);
    await this.audit.append({
      action: input.role === 'owner' ? 'owner.created' : 'installer.created',
      actor: user.id,
      subject: { username: user.username },
    });
    return user;
  }

  /** The installer hands the home over: every installer account is disabled, and a one-time code for the owner is made. */
  async handover(installerId: string): Promise<string> {
    const code = humanCode();
    await this.db.transaction(async () => {
      await this.db.run("UPDATE users SET disabled = 1 WHERE role = 'installer'");
      await this.db.run("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'installer')");
      await this.db.run(
        "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE role = 'installer')",
        [this.now()],
      );
      await this.db.run(
        "INSERT INTO hub_state (key, value, updated_at) VALUES ('handover_code_hash', ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [sha256Hex(normaliseCode(code)), this.now()],
      );
    });
    await this.audit.append({
      action: 'installer.handover',
      actor: installerId,
      subject: {},
    });
    return code;
  }

  async createUser(input: {
    username: string;
    password: string;
    displayName: string;
    role: Role;
    createdBy: string | null;
  }): Promise<SessionUser> {
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      throw new ValidationError(`password: use at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
    }
    if (input.password.toLowerCase() === input.username.toLowerCase()) {
      throw new ValidationError('password: must not be the username', {
        field: 'password',
      });
    }
    const exists = await this.db.get('SELECT id FROM users WHERE username = ?', [input.username]);
    if (exists) throw new HubError('HUB_ERR_CONFLICT', `username "${input.username}" is taken`);
    const id = randomUUID();
    await this.db.run(
      'INSERT INTO users (id, username, display_name, role, password_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [id, input.username, input.displayName, input.role, await hashPassword(input.password), this.now(), input.createdBy],
    );
    return {
      id,
      username: input.username,
      role: input.role,
      displayName: input.displayName,
    };
  }

  async login(username: string, password: string, address: string): Promise<{ token: string; session: Session }> {
    this.limiter.check(username, address);
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
    const ok = row !== undefined && row.disabled === 0 && (await verifyPassword(password, row.password_hash));
    if (!ok || !row) {
      this.limiter.fail(username, address);
      await this.audit.append({
        action: 'login.failed',
        actor: row?.id ?? null,
        subject: { username, address, disabled: row?.disabled === 1 },
      });
      throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'username or password is not right');
    }
    this.limiter.succeed(username, address);
    const token = randomToken();
    const csrf = randomToken(18);
    const expiresAt = this.now() + this.opts.sessionTtlMs;
    await this.db.run(
      'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)',
      [sha256Hex(token), row.id, csrf, this.now(), expiresAt, this.now()],
    );
    await this.audit.append({
      action: 'login',
      actor: row.id,
      subject: { username, address },
    });
    return {
      token,
      session: {
        user: toUser(row),
        csrfToken: csrf,
        expiresAt,
        scopes: null,
        sessionId: sha256Hex(token).slice(0, 16),
      },
    };
  }

  async sessionFromCookie(token: string): Promise<Session | null> {
    const row = await this.db.get<UserRow & { csrf_token: string; expires_at: number; id_hash: string }>(
      'SELECT u.*, s.csrf_token, s.expires_at, s.id_hash FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?',
      [sha256Hex(token)],
    );
    if (!row || row.disabled === 1) return null;
    if (row.expires_at <= this.now()) {
      await this.db.run('DELETE FROM sessions WHERE id_hash = ?', [row.id_hash]);
      return null;
    }
    return {
      user: toUser(row),
      csrfToken: row.csrf_token,
      expiresAt: row.expires_at,
      scopes: null,
      sessionId: row.id_hash.slice(0, 16),
    };
  }

  async sessionFromApiToken(token: string): Promise<Session | null> {
    const row = await this.db.get<UserRow & { scopes: string; token_hash: string }>(
      'SELECT u.*, t.scopes, t.token_hash FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL',
      [sha256Hex(token)],
    );
    if (!row || row.disabled === 1) return null;
    return {
      user: toUser(row),
      csrfToken: '',
      expiresAt: Number.MAX_SAFE_INTEGER,
      scopes: JSON.parse(row.scopes) as string[],
      sessionId: `token:${row.token_hash.slice(0, 12)}`,
    };
  }

  async logout(token: string, userId: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE id_hash = ?', [sha256Hex(token)]);
    await this.audit.append({ action: 'logout', actor: userId, subject: {} });
  }

  /** Step-up check: the signed-in user types their password again before a sensitive action. */
  async confirmPassword(userId: string, password: string, action: string): Promise<void> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [userId]);
    if (!row || !(await verifyPassword(password, row.password_hash))) {
      await this.audit.append({ action: 'password_confirm.failed', actor: userId, subject: { for: action } });
      throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'password: that is not your password');
    }
  }

  async issueApiToken(userId: string, name: string, scopes: string[]): Promise<string> {
    const token = `sat_${randomToken()}`;
    await this.db.run('INSERT INTO api_tokens (token_hash, user_id, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)', [
      sha256Hex(token),
      userId,
      name,
      JSON.stringify(scopes),
      this.now(),
    ]);
    await this.audit.append({
      action: 'api_token.issued',
      actor: userId,
      subject: { name, scopes },
    });
    return token;
  }

  async listApiTokens(userId: string): Promise<
    Array<{
      id: string;
      name: string;
      scopes: string[];
      createdAt: number;
      revokedAt: number | null;
    }>
  > {
    const rows = await this.db.all<{
      token_hash: string;
      name: string;
      scopes: string;
      created_at: number;
      revoked_at: number | null;
    }>('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at', [userId]);
    return rows.map((r) => ({
      id: r.token_hash.slice(0, 16),
      name: r.name,
      scopes: JSON.parse(r.scopes) as string[],
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }));
  }

  async revokeApiToken(userId: string, id: string): Promise<void> {
    const r = await this.db.run(
      'UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND substr(token_hash, 1, 16) = ? AND revoked_at IS NULL',
      [this.now(), userId, id],
    );
    if (r.changes === 0) throw new HubError('HUB_ERR_NOT_FOUND', 'no such token');
    await this.audit.append({
      action: 'api_token.revoked',
      actor: userId,
      subject: { id },
    });
  }

  /** An invite code for a police officer, an advocate or an installer. */
  async invite(by: SessionUser, role: Role, displayName: string, ttlMs = 7 * 24 * 3600 * 1000): Promise<string> {
    const allowed: Record<Role, Role[]> = {
      owner: ['police', 'advocate', 'installer'],
      installer: ['police'],
      police: [],
      advocate: [],
    };
    if (!allowed[by.role].includes(role)) throw new ForbiddenError(`a ${by.role} may not invite a ${role}`);
    const code = humanCode();
    await this.db.run('INSERT INTO invites (code_hash, role, display_name, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
      sha256Hex(normaliseCode(code)),
      role,
      displayName,
      by.id,
      this.now(),
      this.now() + ttlMs,
    ]);
    await this.audit.append({
      action: 'invite.created',
      actor: by.id,
      subject: { role, displayName },
    });
    return code;
  }

  async acceptInvite(input: { code: string; username: string; password: string }): Promise<SessionUser> {
    const row = await this.db.get<{
      code_hash: string;
      role: Role;
      display_name: string;
      created_by: string;
      expires_at: number;
      used_at: number | null;
    }>('SELECT * FROM invites WHERE code_hash = ?', [sha256Hex(normaliseCode(input.code))]);
    if (!row || row.used_at !== null || row.expires_at <= this.now()) {
      await this.audit.append({
        action: 'invite.rejected',
        actor: null,
        subject: { username: input.username },
      });
      throw new HubError('HUB_ERR_SETUP_CODE', 'that invite code is not valid (used, expired or mistyped)');
    }
    const user = await this.createUser({
      username: input.username,
      password: input.password,
      displayName: row.display_name,
      role: row.role,
      createdBy: row.created_by,
    });
    await this.db.run('UPDATE invites SET used_at = ? WHERE code_hash = ?', [this.now(), row.code_hash]);
    await this.audit.append({
      action: 'invite.accepted',
      actor: user.id,
      subject: { role: row.role },
    });
    return user;
  }

  async users(): Promise<Array<SessionUser & { disabled: boolean }>> {
    const rows = await this.db.all<UserRow>('SELECT * FROM users ORDER BY created_at');
    return rows.map((r) => ({ ...toUser(r), disabled: r.disabled === 1 }));
  }

  async user(id: string): Promise<SessionUser | undefined> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
    return row ? toUser(row) : undefined;
  }

  private async setState(key: string, value: string): Promise<void> {
    await this.db.run(
      'INSERT INTO hub_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      [key, value, this.now()],
    );
  }
}

function toUser(r: UserRow): SessionUser {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    displayName: r.display_name,
  };
}

export function requireSession(session: Session | null): Session {
  if (!session) throw new UnauthenticatedError();
  return session;
}
