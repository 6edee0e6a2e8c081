/** Failed sign-ins per username and per address, counted in a sliding window. */
import { HubError } from '../api/errors.js';

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  check(username: string, address: string): void {
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) {
      const recent = this.recent(key);
      if (recent.length >= this.max) {
        const retryAfter = Math.ceil(((recent[0] ?? 0) + this.windowMs - this.now()) / 1000);
        throw new HubError('HUB_ERR_RATE_LIMITED', `too many failed sign-ins; try again in ${retryAfter} s`, {
          details: { retryAfterSeconds: retryAfter },
        });
      }
    }
  }

  fail(username: string, address: string): void {
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) this.failures.set(key, [...this.recent(key), this.now()]);
  }

  succeed(username: string, _address: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }
}
