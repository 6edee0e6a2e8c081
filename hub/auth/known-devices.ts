/**
 * Known devices: a long-lived random cookie given at a successful sign-in, stored as its SHA-256
 * with the account it belongs to. It proves "this browser signed in to this account before", so
 * the sign-in throttle judges it on its own record and not on anyone else's failures. It opens
 * nothing by itself (a password is still needed).
 */
import type { Database } from '../storage/database.js';
import { randomToken, sha256Hex } from './passwords.js';

export const DEVICE_COOKIE_DAYS = 365;

export class KnownDevices {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** The device id (a hash prefix, for the throttle) when `token` is a known device of `username`. */
  async find(token: string | undefined, username: string): Promise<string | null> {
    if (!token || token.length > 100) return null;
    const hash = sha256Hex(token);
    const row = await this.db.get<{ created_at: number }>(
      'SELECT d.created_at FROM known_devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ? AND u.username = ?',
      [hash, username],
    );
    if (!row || row.created_at + DEVICE_COOKIE_DAYS * 24 * 3600 * 1000 <= this.now()) return null;
    return hash.slice(0, 16);
  }

  /** After a successful sign-in: keep the device's token if it has one for this user, else make one. */
  async remember(userId: string, existing: string | undefined): Promise<string> {
    if (existing && existing.length <= 100) {
      const r = await this.db.run('UPDATE known_devices SET last_used_at = ? WHERE token_hash = ? AND user_id = ?', [
        this.now(),
        sha256Hex(existing),
        userId,
      ]);
      if (r.changes > 0) return existing;
    }
    const token = randomToken();
    await this.db.run('INSERT INTO known_devices (token_hash, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)', [
      sha256Hex(token),
      userId,
      this.now(),
      this.now(),
    ]);
    return token;
  }

  async forgetAllOf(userId: string): Promise<void> {
    await this.db.run('DELETE FROM known_devices WHERE user_id = ?', [userId]);
  }
}
