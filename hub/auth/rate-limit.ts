/**
 * Sign-in throttling that an abuser cannot turn against the victim. Failures are counted per
 * (account, client address), and per known device (a long-lived device cookie from an earlier
 * sign-in), never per account alone: a thousand wrong passwords from the abuser's phone slow the
 * abuser's phone, not the victim's. After `freeAttempts` failures each further try must wait, and
 * the wait doubles with every failure (capped); nothing is a hard lock. A per-address count across
 * all accounts stops one address spraying many usernames. Memory is bounded: the least recently
 * touched entries are dropped beyond `maxEntries`.
 */
import { HubError } from '../api/errors.js';

export interface ThrottleOptions {
  /** Failures allowed before the next try has to wait. */
  freeAttempts: number;
  /** The first wait; it doubles with every further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key with no failure for this long is forgotten. */
  forgetAfterMs: number;
  maxEntries: number;
  now: () => number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  /** No try on this key before this time. */
  nextAllowed: number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number; key: 'pair' | 'address' | 'device' };

/** How many failures an address may have across all accounts, as a multiple of `freeAttempts`. */
const ADDRESS_FACTOR = 4;

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: ThrottleOptions) {}

  /** Entries held (bounded by `maxEntries`). */
  get size(): number {
    return this.entries.size;
  }

  private keys(account: string, address: string, deviceId: string | null): Array<[string, 'pair' | 'address' | 'device', number]> {
    const a = account.toLowerCase();
    // A known device is judged only on its own record: others' failures, from any address, do not touch it.
    if (deviceId) return [[`d:${a}|${deviceId}`, 'device', 1]];
    return [
      [`p:${a}|${address}`, 'pair', 1],
      [`a:${address}`, 'address', ADDRESS_FACTOR],
    ];
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.opts.now() - e.lastFailure > this.opts.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  decide(account: string, address: string, deviceId: string | null = null): ThrottleDecision {
    const now = this.opts.now();
    for (const [key, kind] of this.keys(account, address, deviceId)) {
      const e = this.live(key);
      if (e && e.nextAllowed > now) return { allowed: false, retryAfterMs: e.nextAllowed - now, key: kind };
    }
    return { allowed: true };
  }

  /** Throws HUB_ERR_RATE_LIMITED (with retryAfterSeconds) when this try must wait. */
  check(account: string, address: string, deviceId: string | null = null): void {
    const d = this.decide(account, address, deviceId);
    if (d.allowed) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    throw new HubError('HUB_ERR_RATE_LIMITED', `too many failed tries from this device; try again in ${retryAfterSeconds} s`, {
      details: { retryAfterSeconds },
    });
  }

  fail(account: string, address: string, deviceId: string | null = null): void {
    const now = this.opts.now();
    for (const [key, , factor] of this.keys(account, address, deviceId)) {
      const prev = this.live(key);
      const failures = (prev?.failures ?? 0) + 1;
      // From the `freeAttempts`-th failure on, the next try waits base, then 2x, 4x ... (capped).
      const over = failures - this.opts.freeAttempts * factor;
      const wait = over >= 0 ? Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(over, 30)) : 0;
      // Delete then set: Map keeps insertion order, so the first key is always the least recently touched.
      this.entries.delete(key);
      this.entries.set(key, { failures, lastFailure: now, nextAllowed: now + wait });
    }
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  succeed(account: string, address: string, deviceId: string | null = null): void {
    const a = account.toLowerCase();
    this.entries.delete(`p:${a}|${address}`);
    if (deviceId) this.entries.delete(`d:${a}|${deviceId}`);
  }
}
