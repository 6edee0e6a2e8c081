/**
 * Accounts, sessions, invites and API tokens. No account exists until someone holds the setup
 * code the hub prints at first start; nothing has a default password. Sessions are random
 * tokens whose SHA-256 is stored (a stolen database does not hold live cookies). Invited
 * installers and police officers expire unless the owner renews them.
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError, HubError, UnauthenticatedError } from '../api/errors.js';
import type { Role, SessionUser } from '../api/roles.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../storage/database.js';
import type { Vault } from '../vault/vault.js';
import { AccountControl, accountUsable, checkNewPassword, MIN_PASSWORD_LENGTH, type UserRow } from './account-control.js';
import { type ApiTokenInfo, ApiTokens, DAY_MS } from './api-tokens.js';
import { KnownDevices } from './known-devices.js';
import { hashPassword, humanCode, normaliseCode, randomToken, sha256Hex, verifyPassword } from './passwords.js';
import { LoginThrottle } from './rate-limit.js';

export { MIN_PASSWORD_LENGTH };

export interface Session {
  user: SessionUser;
  csrfToken: string;
  expiresAt: number;
  /** Scopes when authenticated by an API token; null for a browser session (full role rights). */
  scopes: string[] | null;
  sessionId: string;
}

/** Record a session's last use at most this often. */
const TOUCH_EVERY_MS = 60_000;

export interface AccountsOptions {
  sessionTtlMs: number;
  /** Failed sign-ins per (account, address) or known device before each try has to wait. */
  loginAttempts: number;
  /** The longest wait, and how long a failure is remembered. */
  loginWindowMs: number;
  /** Sign-in throttle entries kept in memory (least recently used dropped beyond it). */
  throttleEntries?: number;
  /** How long an invited installer's or police officer's account lasts before it must be renewed. */
  installerAccountDays?: number;
  policeAccountDays?: number;
  now?: () => number;
}

export type HubMode = 'setup' | 'installing' | 'handover' | 'active';

/** A new account, and its recovery code when it is an owner's (shown once, never stored). */
export type CreatedUser = SessionUser & { recoveryCode: string | null };

export class Accounts {
  readonly limiter: LoginThrottle;
  readonly tokens: ApiTokens;
  readonly devices: KnownDevices;
  readonly control: AccountControl;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly opts: AccountsOptions,
    /** Each account's footage key: made with the account, unlocked at sign-in, forgotten at sign-out. */
    readonly vault: Vault,
  ) {
    const now = () => this.now();
    this.limiter = new LoginThrottle({
      freeAttempts: opts.loginAttempts,
      baseDelayMs: 1000,
      maxDelayMs: opts.loginWindowMs,
      forgetAfterMs: opts.loginWindowMs,
      maxEntries: opts.throttleEntries ?? 10_000,
      now,
    });
    this.tokens = new ApiTokens(db, audit, now);
    this.devices = new KnownDevices(db, now);
    this.control = new AccountControl(db, audit, this.tokens, this.devices, vault, now);
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
  }): Promise<CreatedUser> {
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
    this.vault.accountsChanged();
    for (const r of await this.db.all<{ id: string }>("SELECT id FROM users WHERE role = 'installer'")) {
      await this.vault.forget(r.id, 'handover');
    }
    return code;
  }

  async createUser(input: {
    username: string;
    password: string;
    displayName: string;
    role: Role;
    createdBy: string | null;
    expiresAt?: number | null;
    /** Already hashed (invite acceptance hashes before its transaction). */
    passwordHash?: string;
    /** Make the key pair now (default). Invite acceptance makes it after its transaction. */
    keys?: boolean;
  }): Promise<CreatedUser> {
    checkNewPassword(input.password, input.username);
    const exists = await this.db.get('SELECT id FROM users WHERE username = ?', [input.username]);
    if (exists) throw new HubError('HUB_ERR_CONFLICT', `username "${input.username}" is taken`);
    const id = randomUUID();
    await this.db.run(
      'INSERT INTO users (id, username, display_name, role, password_hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        id,
        input.username,
        input.displayName,
        input.role,
        input.passwordHash ?? (await hashPassword(input.password)),
        this.now(),
        input.createdBy,
        input.expiresAt ?? null,
      ],
    );
    const user: SessionUser = { id, username: input.username, role: input.role, displayName: input.displayName };
    const { recoveryCode } = input.keys === false ? { recoveryCode: null } : await this.vault.createKeys(user, input.password);
    return { ...user, recoveryCode };
  }

  /**
   * Sign in. `deviceToken` is the browser's known-device cookie: a device that signed in to this
   * account before is throttled only on its own failures. Returns the session token and the
   * (possibly new) device token to set as cookies.
   */
  async login(
    username: string,
    password: string,
    address: string,
    device: { deviceToken?: string | undefined; userAgent?: string | undefined } = {},
  ): Promise<{ token: string; session: Session; deviceToken: string; recoveryCode: string | null }> {
    const deviceId = await this.devices.find(device.deviceToken, username);
    this.limiter.check(username, address, deviceId);
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
    const ok = row !== undefined && row.disabled === 0 && row.removed_at === null && (await verifyPassword(password, row.password_hash));
    if (!ok || !row) {
      this.limiter.fail(username, address, deviceId);
      await this.audit.append({
        action: 'login.failed',
        actor: row?.id ?? null,
        subject: { username, address, knownDevice: deviceId !== null, disabled: row?.disabled === 1 },
      });
      throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'username or password is not right');
    }
    this.limiter.succeed(username, address, deviceId);
    if (!accountUsable(row, this.now())) {
      await this.audit.append({ action: 'login.expired_account', actor: row.id, subject: { username, address } });
      throw new ForbiddenError('this account has expired; ask the owner to renew it');
    }
    // The footage key is unwrapped with the password while it is at hand (an account made before
    // keys existed gets its key pair, and an owner a recovery code, now).
    const { recoveryCode } = await this.vault.unlockWithPassword(toUser(row), password);
    const token = randomToken();
    const csrf = randomToken(18);
    const expiresAt = this.now() + this.opts.sessionTtlMs;
    await this.db.run(
      'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, address, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [sha256Hex(token), row.id, csrf, this.now(), expiresAt, this.now(), address, (device.userAgent ?? '').slice(0, 200)],
    );
    const deviceToken = await this.devices.remember(row.id, device.deviceToken);
    await this.audit.append({
      action: 'login',
      actor: row.id,
      subject: { username, address, knownDevice: deviceId !== null },
    });
    return {
      deviceToken,
      token,
      recoveryCode,
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
    if (token.length > 100) return null;
    const row = await this.db.get<
      UserRow & { csrf_token: string; session_expires_at: number; id_hash: string; last_seen_at: number; user_expires_at: number | null }
    >(
      `SELECT u.*, u.expires_at AS user_expires_at, s.csrf_token, s.expires_at AS session_expires_at, s.id_hash, s.last_seen_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`,
      [sha256Hex(token)],
    );
    if (!row || !accountUsable({ ...row, expires_at: row.user_expires_at }, this.now())) return null;
    if (row.session_expires_at <= this.now()) {
      await this.db.run('DELETE FROM sessions WHERE id_hash = ?', [row.id_hash]);
      if (!(await this.hasLiveSession(row.id))) await this.vault.forget(row.id, 'session expired');
      return null;
    }
    if (this.now() - row.last_seen_at > TOUCH_EVERY_MS) {
      await this.db.run('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?', [this.now(), row.id_hash]);
    }
    return {
      user: toUser(row),
      csrfToken: row.csrf_token,
      expiresAt: row.session_expires_at,
      scopes: null,
      sessionId: row.id_hash.slice(0, 16),
    };
  }

  async sessionFromApiToken(token: string, address = ''): Promise<Session | null> {
    if (token.length > 200) return null;
    const t = await this.tokens.use(token, address);
    if (!t) return null;
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [t.userId]);
    if (!row || !accountUsable(row, this.now())) return null;
    return {
      user: toUser(row),
      csrfToken: '',
      expiresAt: t.expiresAt ?? Number.MAX_SAFE_INTEGER,
      scopes: t.scopes,
      sessionId: `token:${t.id}`,
    };
  }

  async logout(token: string, userId: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE id_hash = ?', [sha256Hex(token)]);
    await this.audit.append({ action: 'logout', actor: userId, subject: {} });
    if (!(await this.hasLiveSession(userId))) await this.vault.forget(userId, 'signed out');
  }

  /** Whether the account has a browser session that has not expired (its key stays unlocked while it does). */
  async hasLiveSession(userId: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM sessions WHERE user_id = ? AND expires_at > ?', [userId, this.now()])) !== undefined;
  }

  /**
   * Unlock footage again in a live session (after a restart the session survives but the key in
   * memory did not): the password, checked like a sign-in, throttled like one.
   */
  async unlock(user: SessionUser, password: string, address: string): Promise<{ recoveryCode: string | null }> {
    this.limiter.check(user.username, address, null);
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [user.id]);
    if (!row || !(await verifyPassword(password, row.password_hash))) {
      this.limiter.fail(user.username, address, null);
      await this.audit.append({ action: 'unlock.failed', actor: user.id, subject: { address } });
      throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'password: that is not your password');
    }
    this.limiter.succeed(user.username, address, null);
    return this.vault.unlockWithPassword(user, password);
  }

  /**
   * A forgotten password: the owner's recovery code unwraps her key, which is then wrapped under
   * the new password and a new recovery code (the used one is spent). Every session is signed
   * out. Throttled like a sign-in. Returns the new recovery code, shown once.
   */
  async recover(input: { username: string; recoveryCode: string; newPassword: string }, address: string): Promise<string> {
    this.limiter.check(input.username, address, null);
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE username = ?', [input.username]);
    const identity =
      row && row.role === 'owner' && row.disabled === 0 ? await this.vault.identityFromRecovery(row.id, input.recoveryCode) : null;
    if (!row || !identity) {
      this.limiter.fail(input.username, address, null);
      await this.audit.append({ action: 'recovery.failed', actor: row?.id ?? null, subject: { username: input.username, address } });
      throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'username or recovery code is not right');
    }
    checkNewPassword(input.newPassword, row.username);
    this.limiter.succeed(input.username, address, null);
    const user = toUser(row);
    const hash = await hashPassword(input.newPassword);
    const { recoveryCode } = await this.vault.rewrap(user, identity, input.newPassword, {
      newRecovery: true,
      withinTransaction: async () => {
        await this.db.run('UPDATE users SET password_hash = ? WHERE id = ?', [hash, row.id]);
        await this.db.run('DELETE FROM sessions WHERE user_id = ?', [row.id]);
      },
    });
    await this.audit.append({ action: 'account.recovered', actor: row.id, subject: { address, sessionsSignedOut: true } });
    await this.vault.forget(row.id, 'recovered');
    return recoveryCode ?? '';
  }

  /** Step-up check: the signed-in user types their password again before a sensitive action. */
  async confirmPassword(userId: string, password: string, action: string): Promise<void> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [userId]);
    if (!row || !(await verifyPassword(password, row.password_hash))) {
      await this.audit.append({ action: 'password_confirm.failed', actor: userId, subject: { for: action } });
      throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'password: that is not your password');
    }
  }

  /** A new API token (expires after `ttlDays`, default 90). */
  async issueApiToken(userId: string, name: string, scopes: string[], ttlDays = 90): Promise<string> {
    return (await this.tokens.issue(userId, name, scopes, ttlDays)).token;
  }

  async listApiTokens(userId: string): Promise<ApiTokenInfo[]> {
    return this.tokens.list(userId);
  }

  async revokeApiToken(userId: string, id: string): Promise<void> {
    await this.tokens.revoke(userId, id, userId);
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

  /**
   * Accept an invite. The password is hashed first (slow, outside any lock); then one transaction
   * claims the invite with a single conditional UPDATE ... RETURNING and creates the account, so
   * two people racing the same code cannot both get an account, and a taken username leaves the
   * invite unused.
   */
  async acceptInvite(input: { code: string; username: string; password: string }): Promise<CreatedUser> {
    checkNewPassword(input.password, input.username);
    const passwordHash = await hashPassword(input.password);
    const codeHash = sha256Hex(normaliseCode(input.code));
    const now = this.now();
    const claimed = await this.db.transaction(async () => {
      const row = await this.db.get<{ role: Role; display_name: string; created_by: string }>(
        'UPDATE invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING role, display_name, created_by',
        [now, codeHash, now],
      );
      if (!row) return null;
      const days =
        row.role === 'installer'
          ? (this.opts.installerAccountDays ?? 30)
          : row.role === 'police'
            ? (this.opts.policeAccountDays ?? 90)
            : null;
      const user = await this.createUser({
        username: input.username,
        password: input.password,
        passwordHash,
        displayName: row.display_name,
        role: row.role,
        createdBy: row.created_by,
        expiresAt: days === null ? null : now + days * DAY_MS,
        keys: false,
      });
      return { user, row };
    });
    if (!claimed) {
      await this.audit.append({
        action: 'invite.rejected',
        actor: null,
        subject: { username: input.username },
      });
      throw new HubError('HUB_ERR_SETUP_CODE', 'that invite code is not valid (used, expired or mistyped)');
    }
    const { user, row } = claimed;
    await this.audit.append({
      action: 'invite.accepted',
      actor: user.id,
      subject: { role: row.role },
    });
    // The key pair is made outside the invite's transaction (scrypt is slow; the audit log has its own queue).
    const { recoveryCode } = await this.vault.createKeys(user, input.password);
    return { ...user, recoveryCode };
  }

  async users(): Promise<Awaited<ReturnType<AccountControl['accounts']>>> {
    return this.control.accounts();
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
