/**
 * The footage vault: every account's key pair, and the one place footage is encrypted and read.
 *
 * Write-only recording: the hub seals clips, snapshots and kept segments to the owner's public
 * key (age X25519, `age-file.ts`) and never needs a secret to do so, so it records, detects,
 * alarms and alerts unattended after a power cut. Reading back needs an account's private key,
 * which is stored only wrapped (`key-wrap.ts`) under the account's password and, for the owner,
 * under a recovery code shown once. It is unwrapped into memory at sign-in and forgotten at
 * sign-out, when the account's last session expires, when the account is disabled, and at
 * restart. Without the password and the recovery code nobody can read the footage: not the
 * hub's makers, not the installer, not whoever takes the card.
 *
 * Who footage is sealed to: every active owner account (before an owner exists, while an
 * installer tests cameras: the installers), and the hub's boot key. The boot key is made at the
 * first start after the machine boots and lives only in RAM (a 0600 file on a tmpfs, so a crash
 * or SIGKILL of the hub keeps it but a power cut or reboot loses it). With it the hub reads back
 * what it wrote since the machine came up: held segments to cut a clip from, a snapshot for an
 * alarm receiving centre's verification link, an image for an alert waiting in the outbox. After
 * a power cut those files open only with an owner's key, like everything else. Sharing
 * re-encrypts (evidence packages to the officer's key, incident logs to the advocate's) through
 * `sealTo`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '../api/errors.js';
import type { FootageSealer, Logger } from '../api/plugin.js';
import type { Role } from '../api/roles.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../storage/database.js';
import {
  type AgeKeyPair,
  NotForThisKeyError,
  newKeyPair,
  recipientOf,
  SealedFile,
  sealBytes,
  sealFile,
  sealWith,
  stanzaCount,
} from './age-file.js';
import { newRecoveryCode, normaliseRecoveryCode, unwrapSecret, wrapSecret } from './key-wrap.js';
import { recipientSealer } from './sealer.js';

/** Where the boot key lives: a folder of its own on the RAM buffer's tmpfs (or /dev/shm). */
export function bootKeyDir(dataDir: string, ramDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const base = ramDir ?? env.RUNTIME_DIRECTORY?.split(':')[0] ?? '/dev/shm';
  return join(base, `sanctuary-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}-key`);
}

export const LOCKED_MESSAGE =
  'Footage is locked. For your safety the hub cannot open recordings on its own: type your password to unlock them.';

export class FootageLockedError extends HubError {
  constructor(message = LOCKED_MESSAGE) {
    super('HUB_ERR_LOCKED', message, { details: { unlock: 'POST /api/auth/unlock' } });
  }
}

interface KeyRow {
  user_id: string;
  recipient: string;
  wrapped_password: string;
  wrapped_recovery: string | null;
  created_at: number;
  updated_at: number;
}

export interface VaultChange {
  userId: string;
  role: Role;
  unlocked: boolean;
  /** The account's key pair was just made (footage may now go to one more key). */
  created?: boolean;
}

export type SealResult = { sha256: string; plainSize: number; size: number };

export class Vault {
  private readonly unlocked = new Map<string, { identity: string; role: Role }>();
  private readonly listeners = new Set<(c: VaultChange) => void | Promise<void>>();
  private recipientsCache: string[] | null = null;

  private boot: AgeKeyPair | null = null;
  private bootFile: string | null = null;
  /** Where plaintext working copies go (RAM when there is a tmpfs). Set by `useBootKey`. */
  workRoot: string;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    fallbackWorkRoot: string = join(tmpdir(), 'sanctuary-work'),
  ) {
    this.workRoot = fallbackWorkRoot;
  }

  /**
   * Loads the boot key from `<tmpfs dir>/boot.key`, or makes it. `dir` must be on a tmpfs; when
   * there is none the key is kept in this process's memory only (a restart then loses it).
   * Returns where it lives, for health.
   */
  async useBootKey(dir: string | null): Promise<string> {
    const TMPFS_MAGIC = 0x01021994;
    let onTmpfs = false;
    if (dir) {
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        onTmpfs = (await statfs(dir)).type === TMPFS_MAGIC;
      } catch (err) {
        this.log.warn({ dir, err: String(err) }, 'no RAM folder for the boot key: it is kept in memory only');
      }
    }
    if (dir && onTmpfs) {
      const file = join(dir, 'boot.key');
      const existing = await readFile(file, 'utf8').then(
        (t) => t.trim(),
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return null;
          throw err;
        },
      );
      if (existing) {
        this.boot = { identity: existing, recipient: recipientOf(existing) };
      } else {
        this.boot = newKeyPair();
        await writeFile(file, `${this.boot.identity}\n`, { mode: 0o600, flag: 'w' });
      }
      this.bootFile = file;
      this.workRoot = join(dir, 'work');
      await rm(this.workRoot, { recursive: true, force: true });
      this.recipientsCache = null;
      return `boot key in RAM (${file}); kept footage is readable by the hub until the machine loses power`;
    }
    this.boot = newKeyPair();
    this.recipientsCache = null;
    return 'boot key in this process only (no tmpfs): after a restart only the owner can open earlier footage';
  }

  /** At a clean stop: the boot key goes (what it opened is still sealed to the owners). */
  async dropBootKey(): Promise<void> {
    if (this.bootFile) await rm(join(this.bootFile, '..'), { recursive: true, force: true });
    this.boot = null;
    this.bootFile = null;
    this.recipientsCache = null;
  }

  onChange(fn: (c: VaultChange) => void | Promise<void>): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async emit(c: VaultChange): Promise<void> {
    for (const fn of this.listeners) {
      try {
        await fn(c);
      } catch (err) {
        this.log.error({ err: String(err), userId: c.userId }, 'a vault listener failed');
      }
    }
  }

  private async row(userId: string): Promise<KeyRow | undefined> {
    return this.db.get<KeyRow>('SELECT * FROM account_keys WHERE user_id = ?', [userId]);
  }

  async hasKeys(userId: string): Promise<boolean> {
    return (await this.row(userId)) !== undefined;
  }

  /**
   * Makes the account's key pair, wrapped under its password (and, for an owner, a recovery
   * code, returned here once and never stored). The account is left unlocked.
   */
  async createKeys(user: { id: string; role: Role }, password: string): Promise<{ recoveryCode: string | null }> {
    const kp = newKeyPair();
    const wrappedPassword = await wrapSecret(kp.identity, password, user.id);
    const recoveryCode = user.role === 'owner' ? newRecoveryCode() : null;
    const wrappedRecovery = recoveryCode ? await wrapSecret(kp.identity, normaliseRecoveryCode(recoveryCode), user.id) : null;
    await this.db.run(
      `INSERT INTO account_keys (user_id, recipient, wrapped_password, wrapped_recovery, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(user_id) DO UPDATE SET recipient = excluded.recipient, wrapped_password = excluded.wrapped_password,
         wrapped_recovery = excluded.wrapped_recovery, updated_at = excluded.updated_at`,
      [user.id, kp.recipient, wrappedPassword, wrappedRecovery, this.now(), this.now()],
    );
    this.recipientsCache = null;
    await this.audit.append({
      action: 'keys.created',
      actor: user.id,
      subject: { recipient: kp.recipient, recoveryCode: recoveryCode !== null },
    });
    await this.setUnlocked(user, kp.identity, 'created');
    return { recoveryCode };
  }

  /**
   * At sign-in, after the password was checked: unwraps the key into memory. An account made
   * before keys existed gets its key pair now (the only moment its password is at hand).
   */
  async unlockWithPassword(user: { id: string; role: Role }, password: string): Promise<{ recoveryCode: string | null }> {
    const row = await this.row(user.id);
    if (!row) return this.createKeys(user, password);
    const identity = await unwrapSecret(row.wrapped_password, password, user.id);
    if (!identity) {
      // The password was accepted by its hash, so the wrap is out of step with it: say so loudly.
      await this.audit.append({ action: 'keys.unlock_failed', actor: user.id, subject: { via: 'password' } });
      this.log.error({ userId: user.id }, 'the password opened the account but not its key: footage stays locked');
      throw new HubError('HUB_ERR_EVIDENCE', 'your key could not be unlocked with this password; use your recovery code');
    }
    await this.setUnlocked(user, identity, 'password');
    return { recoveryCode: null };
  }

  /** The key under the account's password, without unlocking it. */
  async identityFromPassword(userId: string, password: string): Promise<string | null> {
    const row = await this.row(userId);
    return row ? unwrapSecret(row.wrapped_password, password, userId) : null;
  }

  /** The owner's recovery code, typed back: the key, or null when the code is not right. */
  async identityFromRecovery(userId: string, code: string): Promise<string | null> {
    const row = await this.row(userId);
    if (!row?.wrapped_recovery) return null;
    return unwrapSecret(row.wrapped_recovery, normaliseRecoveryCode(code), userId);
  }

  /**
   * After a password change or a recovery: the same key wrapped under the new password. With a
   * recovery the old code is spent and a new one is made (returned once).
   */
  async rewrap(
    user: { id: string; role: Role },
    identity: string,
    newPassword: string,
    opts: { newRecovery: boolean; withinTransaction?: () => Promise<void> },
  ): Promise<{ recoveryCode: string | null }> {
    const wrappedPassword = await wrapSecret(identity, newPassword, user.id);
    const recoveryCode = opts.newRecovery && user.role === 'owner' ? newRecoveryCode() : null;
    const wrappedRecovery = recoveryCode ? await wrapSecret(identity, normaliseRecoveryCode(recoveryCode), user.id) : null;
    // One transaction with the caller's password change: a power cut leaves the old password and
    // the old wrap, or the new ones, never a key wrapped under a password the account does not have.
    await this.db.transaction(async () => {
      if (wrappedRecovery) {
        await this.db.run('UPDATE account_keys SET wrapped_password = ?, wrapped_recovery = ?, updated_at = ? WHERE user_id = ?', [
          wrappedPassword,
          wrappedRecovery,
          this.now(),
          user.id,
        ]);
      } else {
        await this.db.run('UPDATE account_keys SET wrapped_password = ?, updated_at = ? WHERE user_id = ?', [
          wrappedPassword,
          this.now(),
          user.id,
        ]);
      }
      await opts.withinTransaction?.();
    });
    await this.audit.append({ action: 'keys.rewrapped', actor: user.id, subject: { newRecoveryCode: recoveryCode !== null } });
    return { recoveryCode };
  }

  /** A new recovery code for an unlocked owner (the old one stops working). */
  async replaceRecoveryCode(user: { id: string; role: Role }): Promise<string> {
    if (user.role !== 'owner') throw new HubError('HUB_ERR_FORBIDDEN', 'only the owner has a recovery code');
    const identity = this.identityOf(user.id);
    if (!identity) throw new FootageLockedError();
    const code = newRecoveryCode();
    await this.db.run('UPDATE account_keys SET wrapped_recovery = ?, updated_at = ? WHERE user_id = ?', [
      await wrapSecret(identity, normaliseRecoveryCode(code), user.id),
      this.now(),
      user.id,
    ]);
    await this.audit.append({ action: 'keys.recovery_code_replaced', actor: user.id, subject: {} });
    return code;
  }

  private async setUnlocked(user: { id: string; role: Role }, identity: string, via: string): Promise<void> {
    const was = this.unlocked.has(user.id);
    this.unlocked.set(user.id, { identity, role: user.role });
    if (!was || via === 'created') {
      await this.audit.append({ action: 'footage.unlocked', actor: user.id, subject: { via } });
      await this.emit({ userId: user.id, role: user.role, unlocked: true, ...(via === 'created' ? { created: true } : {}) });
    }
  }

  /** Drops the account's key from memory (sign-out, last session expired, disabled, stop). */
  async forget(userId: string, reason: string, audited = true): Promise<void> {
    const had = this.unlocked.get(userId);
    if (!had) return;
    this.unlocked.delete(userId);
    if (audited) await this.audit.append({ action: 'footage.locked', actor: userId, subject: { reason } });
    await this.emit({ userId, role: had.role, unlocked: false });
  }

  /** At a stop: every key leaves memory (not audited one by one: the stop itself is the reason). */
  async forgetAll(reason: string): Promise<void> {
    for (const id of [...this.unlocked.keys()]) await this.forget(id, reason, false);
  }

  /** Forgets every key whose account has no live session left. */
  async sweep(hasLiveSession: (userId: string) => Promise<boolean>): Promise<void> {
    for (const id of [...this.unlocked.keys()]) {
      if (!(await hasLiveSession(id))) await this.forget(id, 'session ended');
    }
  }

  isUnlocked(userId: string): boolean {
    return this.unlocked.has(userId);
  }

  identityOf(userId: string): string | null {
    return this.unlocked.get(userId)?.identity ?? null;
  }

  /** Keys of the owners signed in now (background work the owner started reads with these). */
  ownerIdentities(): string[] {
    return [...this.unlocked.values()].filter((u) => u.role === 'owner').map((u) => u.identity);
  }

  async recipientOf(userId: string): Promise<string | null> {
    return (await this.row(userId))?.recipient ?? null;
  }

  /** Who footage is sealed to: the active owners, else (before handover) the active installers. */
  async footageRecipients(): Promise<string[]> {
    if (this.recipientsCache) return this.recipientsCache;
    const rows = await this.db.all<{ recipient: string; role: Role }>(
      `SELECT k.recipient, u.role FROM account_keys k JOIN users u ON u.id = k.user_id
       WHERE u.disabled = 0 AND u.removed_at IS NULL AND u.role IN ('owner', 'installer') ORDER BY u.created_at`,
    );
    const owners = rows.filter((r) => r.role === 'owner').map((r) => r.recipient);
    const people = owners.length ? owners : rows.map((r) => r.recipient);
    // Before anyone has an account (a hub just set up) footage is sealed to the boot key alone and
    // given to the first account's key when there is one (`adoptBootOnly`); a power cut before
    // that loses it, which is the point: nobody has a right to it yet.
    const list = this.boot ? [...people, this.boot.recipient] : people;
    this.recipientsCache = list;
    return list;
  }

  /** The active owners' public keys only (the hub's signing key is sealed to these, not the boot key). */
  async ownerRecipients(): Promise<string[]> {
    const rows = await this.db.all<{ recipient: string }>(
      `SELECT k.recipient FROM account_keys k JOIN users u ON u.id = k.user_id
       WHERE u.disabled = 0 AND u.removed_at IS NULL AND u.role = 'owner' ORDER BY u.created_at`,
    );
    return rows.map((r) => r.recipient);
  }

  /** Account states changed (disabled, removed, handover): who footage goes to may differ. */
  accountsChanged(): void {
    this.recipientsCache = null;
  }

  private async recipientsOrThrow(): Promise<string[]> {
    const r = await this.footageRecipients();
    if (!r.length) throw new HubError('HUB_ERR_EVIDENCE', 'no key to keep footage with (no account and no boot key)');
    return r;
  }

  /**
   * Files sealed to the boot key alone (made before any account had a key) are sealed again to
   * today's recipients. Walks the data folder once; each file is rewritten beside itself and
   * renamed over it. Returns how many were given to the accounts.
   */
  async adoptBootOnly(dataDir: string): Promise<number> {
    if (!this.boot) return 0;
    const recipients = await this.footageRecipients();
    if (recipients.length < 2) return 0;
    let n = 0;
    for (const path of await sealedFilesUnder(dataDir)) {
      try {
        if ((await stanzaCount(path)) !== 1) continue;
        const f = await SealedFile.open(path, [this.boot.identity]);
        const mode = (await stat(path)).mode & 0o777;
        await sealWith(
          path,
          recipients,
          async (w) => {
            for await (const chunk of f.stream()) await w.write(chunk as Buffer);
          },
          mode,
        );
        n++;
      } catch (err) {
        if (err instanceof NotForThisKeyError) continue;
        this.log.warn({ path, err: String(err) }, 'could not give a file made before the first account to its key');
      }
    }
    if (n) await this.audit.append({ action: 'footage.adopted', actor: 'system', subject: { files: n } });
    return n;
  }

  /** Seals a plaintext file to the footage recipients. The SHA-256 is the plaintext's. */
  async sealFile(src: string, dest: string, mode?: number, noOverwrite = false): Promise<SealResult> {
    return sealFile(src, dest, await this.recipientsOrThrow(), mode, noOverwrite);
  }

  async sealBytes(data: Buffer, dest: string, mode?: number, noOverwrite = false): Promise<SealResult> {
    return sealBytes(data, dest, await this.recipientsOrThrow(), mode, noOverwrite);
  }

  /** The plugins' way to keep pictures (HubServices.footage). */
  sealer(): FootageSealer {
    return recipientSealer(() => this.recipientsOrThrow());
  }

  /** Seals to named recipients (sharing re-encrypts: an officer, an advocate) and the owners. */
  async sealTo(data: Buffer | string, dest: string, userIds: string[], mode?: number): Promise<SealResult> {
    const recipients = new Set(await this.footageRecipients());
    for (const id of userIds) {
      const r = await this.recipientOf(id);
      if (!r)
        throw new HubError('HUB_ERR_EVIDENCE', `account ${id} has no key yet: they must sign in once before anything is shared with them`);
      recipients.add(r);
    }
    if (!recipients.size) throw new HubError('HUB_ERR_EVIDENCE', 'no key to encrypt to');
    return typeof data === 'string' ? sealFile(data, dest, [...recipients], mode) : sealBytes(data, dest, [...recipients], mode);
  }

  /** Opens a sealed file with the signed-in account's key. */
  async open(userId: string, path: string): Promise<SealedFile> {
    const identity = this.identityOf(userId);
    if (!identity) throw new FootageLockedError();
    try {
      return await SealedFile.open(path, [identity]);
    } catch (err) {
      if (err instanceof NotForThisKeyError) throw new HubError('HUB_ERR_FORBIDDEN', 'this file is not encrypted to your key');
      throw err;
    }
  }

  /**
   * Opens a sealed file for the hub's own unattended work (cutting a clip from held segments, an
   * alert's picture, a verification link): the boot key, or a signed-in owner's key.
   */
  async openForHub(path: string): Promise<SealedFile> {
    const ids = [...(this.boot ? [this.boot.identity] : []), ...this.ownerIdentities()];
    if (!ids.length)
      throw new FootageLockedError('Footage is locked: it was kept before the hub last lost power, and only the owner can open it.');
    try {
      return await SealedFile.open(path, ids);
    } catch (err) {
      if (err instanceof NotForThisKeyError) {
        throw new FootageLockedError('Footage is locked: it was kept before the hub last lost power, and only the owner can open it.');
      }
      throw err;
    }
  }

  /** Opens a sealed file with any signed-in owner's key (work an owner started, like an export). */
  async openAsOwner(path: string, identities = this.ownerIdentities()): Promise<SealedFile> {
    if (!identities.length) throw new FootageLockedError('Footage is locked: the owner must be signed in for this.');
    // The boot key too: a file made before her key existed may not have been given to it yet.
    return SealedFile.open(path, [...identities, ...(this.boot ? [this.boot.identity] : [])]);
  }
}

/** Every `.age` file under the data folder except the hub key's own folder and the RAM link. */
async function sealedFilesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 8 && !(depth === 0 && (e.name === 'identity' || e.name === 'ram'))) await walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.age')) out.push(p);
    }
  };
  await walk(root, 0);
  return out;
}
