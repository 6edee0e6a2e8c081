/**
 * Moves notifications from the push queue to the push services, per device: the oldest first and
 * one at a time, resent with exponential backoff until the push service accepts it (201). Every
 * step is in SQLite, so a restart resends what was not accepted. A 404 or 410 from the push
 * service means the device unsubscribed (RFC 8030 §7.3): the subscription is removed and nothing
 * more is sent to it. What sits in the queue longer than its TTL is dropped, not sent late.
 *
 * Encryption (RFC 8291, aes128gcm) and the VAPID signature (RFC 8292) are the `web-push`
 * package's; this file decides what to do with each answer.
 */
import type { Agent } from 'node:https';
import webpush from 'web-push';
import { KeyedDrains } from '../alerts/keyed-drains.js';
import { describeError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import type { PushDeliveryRow, PushStore, SubscriptionRow } from './push-store.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

export interface SenderOptions {
  retryInitialMs: number;
  retryMaxSeconds: number;
  attemptTimeoutSeconds: number;
  /** Trust for the push services' TLS (tests pass an agent that trusts their loopback peer). */
  agent?: Agent;
}

export interface SenderHooks {
  /** Asked again before each send: notifications switched off meanwhile means nothing more leaves. */
  allowed(): boolean;
  /** The push service accepted a notification (201): "ask me first" starts its clock here. */
  accepted(row: PushDeliveryRow, sub: SubscriptionRow, at: number): Promise<void>;
  /** A subscription was removed because its push service said it is gone. */
  removed(sub: SubscriptionRow, reason: string): Promise<void>;
}

const REPLACEABLE: ReadonlySet<string> = new Set(['doorbell', 'person']);

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; detail: string; retryAfterMs: number | null };

export class PushSender {
  private readonly drains = new KeyedDrains(
    (subscriptionId) => this.drain(subscriptionId),
    (subscriptionId, err) => {
      this.log.error({ subscriptionId, err: describeError(err) }, 'push delivery loop failed; retrying');
      return this.opts.retryInitialMs;
    },
  );
  private stopped = false;

  constructor(
    private readonly store: PushStore,
    private readonly vapid: VapidKeys,
    private readonly opts: SenderOptions,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly hooks: SenderHooks,
  ) {}

  kick(subscriptionId: string): void {
    this.drains.kick(subscriptionId);
  }

  async kickAll(): Promise<void> {
    for (const s of await this.store.pendingSubscriptions()) this.kick(s);
  }

  backoffMs(attempts: number): number {
    return Math.min(this.opts.retryInitialMs * 2 ** Math.max(0, attempts - 1), this.opts.retryMaxSeconds * 1000);
  }

  private schedule(subscriptionId: string, delayMs: number): void {
    this.drains.schedule(subscriptionId, delayMs);
  }

  private async drain(subscriptionId: string): Promise<void> {
    while (!this.stopped) {
      const row = await this.store.nextPending(subscriptionId);
      if (!row) return;
      const wait = (row.next_attempt_at ?? 0) - this.now();
      if (row.status === 'failed' && wait > 0) {
        this.schedule(subscriptionId, wait);
        return;
      }
      if (!this.hooks.allowed()) {
        await this.store.markDropped(row.seq, 'not sent: notifications were switched off');
        continue;
      }
      const sub = await this.store.subscription(subscriptionId);
      if (!sub || sub.removed_at !== null) {
        await this.store.markDropped(row.seq, 'the device was removed');
        continue;
      }
      // The TTL counts from the event: a notification that waited out an outage keeps only what is left.
      const ttl = row.ttl_seconds - Math.floor((this.now() - row.event_ts) / 1000);
      if (ttl <= 0) {
        await this.store.markDropped(row.seq, `not sent: older than its ${row.ttl_seconds} s time to live`);
        this.log.warn({ seq: row.seq, kind: row.kind, subscriptionId }, 'push notification expired before it could be sent');
        continue;
      }
      await this.store.markSending(row.seq);
      const out = await this.send(sub, row, ttl);
      if (this.stopped && !out.ok) return; // stays `sending`: resent at the next start
      if (out.ok) {
        const at = this.now();
        await this.store.markSent(row.seq, at, `push service answered ${out.status}`);
        await this.store.markOk(sub.id, at);
        this.log.info({ seq: row.seq, kind: row.kind, subscriptionId, attempts: row.attempts + 1 }, 'push notification accepted');
        await this.hooks.accepted(row, sub, at);
        continue;
      }
      if (out.status === 404 || out.status === 410) {
        const reason = `its push service answered ${out.status}: the device unsubscribed`;
        await this.store.markDropped(row.seq, reason);
        await this.store.remove(sub.id, reason, this.now());
        this.log.warn({ subscriptionId, status: out.status }, 'push subscription gone: removed');
        await this.hooks.removed(sub, reason);
        return;
      }
      // 400 (malformed), 403 (VAPID refused), 413 (too big): resending the same bytes will not help.
      const permanent = out.status !== null && out.status >= 400 && out.status < 500 && out.status !== 429 && out.status !== 408;
      if (permanent) {
        await this.store.markFailed(row.seq, out.detail, null);
        this.log.error({ seq: row.seq, subscriptionId, status: out.status, detail: out.detail }, 'push notification refused for good');
        continue;
      }
      const delay = Math.max(this.backoffMs(row.attempts + 1), out.retryAfterMs ?? 0);
      await this.store.markFailed(row.seq, out.detail, this.now() + delay);
      this.log.warn(
        { seq: row.seq, subscriptionId, status: out.status, detail: out.detail, retryInMs: delay },
        'push notification failed; will resend',
      );
      this.schedule(subscriptionId, delay);
      return;
    }
  }

  private async send(sub: SubscriptionRow, row: PushDeliveryRow, ttl: number): Promise<Outcome> {
    try {
      const r = await webpush.sendNotification({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, row.payload, {
        vapidDetails: { subject: this.vapid.subject, publicKey: this.vapid.publicKey, privateKey: this.vapid.privateKey },
        TTL: ttl,
        urgency: row.urgency,
        // A newer doorbell or person notification replaces one still waiting at the push service
        // (RFC 8030 §5.4); every other kind, and every question, is delivered on its own.
        ...(REPLACEABLE.has(row.kind) ? { topic: row.kind } : {}),
        contentEncoding: 'aes128gcm',
        timeout: this.opts.attemptTimeoutSeconds * 1000,
        ...(this.opts.agent ? { agent: this.opts.agent } : {}),
      });
      return { ok: true, status: r.statusCode };
    } catch (err) {
      if (err instanceof webpush.WebPushError) {
        const retry = Number(err.headers?.['retry-after']);
        return {
          ok: false,
          status: err.statusCode,
          detail: `push service answered ${err.statusCode}${err.body ? `: ${String(err.body).slice(0, 200)}` : ''}`,
          retryAfterMs: Number.isFinite(retry) && retry > 0 ? Math.min(retry, 3600) * 1000 : null,
        };
      }
      return { ok: false, status: null, detail: describeError(err), retryAfterMs: null };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.drains.stop();
  }
}
