/**
 * Alarm PINs: each owner has a PIN and a duress PIN, stored as scrypt hashes. Every check hashes
 * the candidate against every stored PIN and duress PIN, so a duress PIN takes exactly as long to
 * accept as a normal one. Wrong PINs are counted (across restarts) and lock the keypad after
 * `pinAttempts`.
 */
import { HubError, ValidationError } from '../api/errors.js';
import type { EventBus } from '../api/events.js';
import type { AuditLog } from '../audit/audit-log.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { SerialQueue } from '../storage/serial-queue.js';
import type { AlarmStore } from './store.js';

export interface PinMatch {
  userId: string;
  duress: boolean;
}

export const PIN_PATTERN = /^\d{4,8}$/;

export class AlarmPins {
  private failures = 0;
  private lockedUntil: number | null = null;
  private readonly checks = new SerialQueue();

  constructor(
    private readonly store: AlarmStore,
    private readonly bus: EventBus,
    private readonly audit: AuditLog,
    private readonly opts: { attempts: number; lockoutMs: number; now: () => number },
  ) {}

  async load(): Promise<void> {
    const g = await this.store.guard();
    this.failures = g.failures;
    this.lockedUntil = g.lockedUntil;
  }

  async hasPin(userId: string): Promise<boolean> {
    return (await this.store.pins()).some((p) => p.userId === userId);
  }

  async set(userId: string, pin: string, duressPin: string): Promise<void> {
    if (!PIN_PATTERN.test(pin)) throw new ValidationError('pin: use 4 to 8 digits', { field: 'pin' });
    if (!PIN_PATTERN.test(duressPin)) throw new ValidationError('duressPin: use 4 to 8 digits', { field: 'duressPin' });
    if (pin === duressPin) throw new ValidationError('duressPin: must differ from the PIN', { field: 'duressPin' });
    await this.store.setPins(userId, await hashPassword(pin), await hashPassword(duressPin), this.opts.now());
  }

  /**
   * Which user's PIN (or duress PIN) this is. Throws HUB_ERR_BAD_PIN for a wrong one and
   * HUB_ERR_RATE_LIMITED while locked out. Checks run one at a time so guesses cannot race the counter.
   */
  check(pin: string, actor: string | null, preferUser: string | null): Promise<PinMatch> {
    return this.checks.run(() => this.doCheck(pin, actor, preferUser));
  }

  private async doCheck(pin: string, actor: string | null, preferUser: string | null): Promise<PinMatch> {
    const now = this.opts.now();
    if (this.lockedUntil !== null && this.lockedUntil > now) {
      const retryAfterSeconds = Math.ceil((this.lockedUntil - now) / 1000);
      throw new HubError('HUB_ERR_RATE_LIMITED', `too many wrong PINs; try again in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds },
      });
    }
    const matches: PinMatch[] = [];
    if (PIN_PATTERN.test(pin)) {
      for (const row of await this.store.pins()) {
        // Both hashes, always: the time taken must not tell a duress PIN from a normal one.
        const [normal, duress] = await Promise.all([verifyPassword(pin, row.pinHash), verifyPassword(pin, row.duressHash)]);
        if (normal) matches.push({ userId: row.userId, duress: false });
        if (duress) matches.push({ userId: row.userId, duress: true });
      }
    }
    const match = matches.find((m) => m.userId === preferUser) ?? matches[0];
    if (match) {
      if (this.failures !== 0 || this.lockedUntil !== null) {
        this.failures = 0;
        this.lockedUntil = null;
        await this.store.setGuard(0, null);
      }
      return match;
    }
    this.failures++;
    const attempts = this.failures;
    if (this.failures >= this.opts.attempts) {
      this.lockedUntil = now + this.opts.lockoutMs;
      this.failures = 0;
    }
    await this.store.setGuard(this.failures, this.lockedUntil);
    const lockedUntil = this.lockedUntil !== null && this.lockedUntil > now ? this.lockedUntil : null;
    this.bus.emit('alarm.pin_rejected', { source: 'alarm', attempts, lockedUntil });
    await this.audit.append({ action: 'alarm.pin_rejected', actor, subject: { attempts, lockedUntil } });
    if (lockedUntil !== null) {
      const retryAfterSeconds = Math.ceil((lockedUntil - now) / 1000);
      throw new HubError('HUB_ERR_RATE_LIMITED', `wrong PIN; too many wrong PINs, try again in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds },
      });
    }
    throw new HubError('HUB_ERR_BAD_PIN', 'that PIN is not right', { details: { attemptsLeft: this.opts.attempts - attempts } });
  }
}
