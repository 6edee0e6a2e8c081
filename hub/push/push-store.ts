/**
 * SQL for Web Push: the VAPID key pair, the owner's device subscriptions, the durable queue
 * (one row per notification and device, on disk before anything is sent), the one-time action
 * tokens and the person cooldown. Nothing here decides anything.
 */
import type { Database } from '../storage/database.js';
import type { Urgency } from './push-texts.js';

export interface SubscriptionRow {
  id: string;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  device: string;
  discreet: number;
  created_at: number;
  last_ok_at: number | null;
  removed_at: number | null;
  removed_reason: string | null;
}

export type PushDeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'dropped';

export interface PushDeliveryRow {
  seq: number;
  subscription_id: string;
  kind: string;
  alert_id: string | null;
  payload: string;
  ttl_seconds: number;
  urgency: Urgency;
  event_ts: number;
  queued_at: number;
  status: PushDeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  sent_at: number | null;
  detail: string;
}

export interface NewPushDelivery {
  subscriptionId: string;
  kind: string;
  alertId: string | null;
  payload: string;
  ttlSeconds: number;
  urgency: Urgency;
  eventTs: number;
}

export interface ActionTokenRow {
  token_hash: string;
  alert_id: string;
  subscription_id: string;
  expires_at: number;
  used_at: number | null;
  used_action: string | null;
}

const PENDING = "(status IN ('queued','sending') OR (status = 'failed' AND next_attempt_at IS NOT NULL))";

export class PushStore {
  constructor(private readonly db: Database) {}

  vapid(): Promise<{ public_key: string; private_key: string } | undefined> {
    return this.db.get('SELECT public_key, private_key FROM push_vapid WHERE id = 1');
  }

  /** INSERT OR IGNORE: a key pair once made is never replaced (subscriptions are bound to it). */
  async saveVapid(publicKey: string, privateKey: string, now: number): Promise<void> {
    await this.db.run('INSERT OR IGNORE INTO push_vapid (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)', [
      publicKey,
      privateKey,
      now,
    ]);
  }

  /** A device subscribing again (same endpoint) keeps its id and gets its keys and name updated. */
  async upsertSubscription(s: Omit<SubscriptionRow, 'last_ok_at' | 'removed_at' | 'removed_reason'>): Promise<SubscriptionRow> {
    await this.db.run(
      `INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, device, discreet, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth,
         device = excluded.device, discreet = excluded.discreet, removed_at = NULL, removed_reason = NULL`,
      [s.id, s.user_id, s.endpoint, s.p256dh, s.auth, s.device, s.discreet, s.created_at],
    );
    return (await this.db.get<SubscriptionRow>('SELECT * FROM push_subscriptions WHERE endpoint = ?', [s.endpoint])) as SubscriptionRow;
  }

  subscription(id: string): Promise<SubscriptionRow | undefined> {
    return this.db.get<SubscriptionRow>('SELECT * FROM push_subscriptions WHERE id = ?', [id]);
  }

  active(userId?: string): Promise<SubscriptionRow[]> {
    return userId
      ? this.db.all<SubscriptionRow>('SELECT * FROM push_subscriptions WHERE removed_at IS NULL AND user_id = ? ORDER BY created_at', [
          userId,
        ])
      : this.db.all<SubscriptionRow>('SELECT * FROM push_subscriptions WHERE removed_at IS NULL ORDER BY created_at');
  }

  async setDiscreet(id: string, discreet: boolean): Promise<void> {
    await this.db.run('UPDATE push_subscriptions SET discreet = ? WHERE id = ?', [discreet ? 1 : 0, id]);
  }

  /**
   * Remove a subscription: it is kept as a row (the queue and tokens refer to it) but never sent
   * to again, what was waiting for it is dropped, and its action tokens stop working.
   */
  async remove(id: string, reason: string, now: number): Promise<boolean> {
    return this.db.transaction(async () => {
      const r = await this.db.run('UPDATE push_subscriptions SET removed_at = ?, removed_reason = ? WHERE id = ? AND removed_at IS NULL', [
        now,
        reason,
        id,
      ]);
      await this.db.run(
        `UPDATE push_deliveries SET status = 'dropped', next_attempt_at = NULL, detail = ? WHERE subscription_id = ? AND ${PENDING}`,
        [`subscription removed: ${reason}`, id],
      );
      await this.db.run('UPDATE push_action_tokens SET expires_at = ? WHERE subscription_id = ? AND used_at IS NULL', [now, id]);
      return r.changes === 1;
    });
  }

  async markOk(id: string, now: number): Promise<void> {
    await this.db.run('UPDATE push_subscriptions SET last_ok_at = ? WHERE id = ?', [now, id]);
  }

  /** Every delivery and its action token in one transaction: on disk before anything is sent. */
  async enqueue(rows: NewPushDelivery[], tokens: Array<Omit<ActionTokenRow, 'used_at' | 'used_action'>>, now: number): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction(async () => {
      for (const t of tokens)
        await this.db.run('INSERT INTO push_action_tokens (token_hash, alert_id, subscription_id, expires_at) VALUES (?, ?, ?, ?)', [
          t.token_hash,
          t.alert_id,
          t.subscription_id,
          t.expires_at,
        ]);
      for (const r of rows)
        await this.db.run(
          `INSERT INTO push_deliveries (subscription_id, kind, alert_id, payload, ttl_seconds, urgency, event_ts, queued_at, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued')`,
          [r.subscriptionId, r.kind, r.alertId, r.payload, r.ttlSeconds, r.urgency, r.eventTs, now],
        );
    });
  }

  nextPending(subscriptionId: string): Promise<PushDeliveryRow | undefined> {
    return this.db.get<PushDeliveryRow>(`SELECT * FROM push_deliveries WHERE subscription_id = ? AND ${PENDING} ORDER BY seq LIMIT 1`, [
      subscriptionId,
    ]);
  }

  async pendingSubscriptions(): Promise<string[]> {
    const rows = await this.db.all<{ subscription_id: string }>(`SELECT DISTINCT subscription_id FROM push_deliveries WHERE ${PENDING}`);
    return rows.map((r) => r.subscription_id);
  }

  deliveries(): Promise<PushDeliveryRow[]> {
    return this.db.all<PushDeliveryRow>('SELECT * FROM push_deliveries ORDER BY seq');
  }

  async markSending(seq: number): Promise<void> {
    await this.db.run("UPDATE push_deliveries SET status = 'sending', attempts = attempts + 1 WHERE seq = ?", [seq]);
  }

  async markSent(seq: number, now: number, detail: string): Promise<void> {
    await this.db.run("UPDATE push_deliveries SET status = 'sent', sent_at = ?, next_attempt_at = NULL, detail = ? WHERE seq = ?", [
      now,
      detail,
      seq,
    ]);
  }

  async markFailed(seq: number, detail: string, nextAttemptAt: number | null): Promise<void> {
    await this.db.run("UPDATE push_deliveries SET status = 'failed', next_attempt_at = ?, detail = ? WHERE seq = ?", [
      nextAttemptAt,
      detail,
      seq,
    ]);
  }

  async markDropped(seq: number, detail: string): Promise<void> {
    await this.db.run("UPDATE push_deliveries SET status = 'dropped', next_attempt_at = NULL, detail = ? WHERE seq = ?", [detail, seq]);
  }

  token(hash: string): Promise<ActionTokenRow | undefined> {
    return this.db.get<ActionTokenRow>('SELECT * FROM push_action_tokens WHERE token_hash = ?', [hash]);
  }

  /** Spend a token: true for exactly one caller, only while it is unused and unexpired. */
  async useToken(hash: string, action: string, now: number): Promise<boolean> {
    const r = await this.db.run(
      'UPDATE push_action_tokens SET used_at = ?, used_action = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
      [now, action, hash, now],
    );
    return r.changes === 1;
  }

  async cooldown(key: string): Promise<number | null> {
    return (await this.db.get<{ last_at: number }>('SELECT last_at FROM push_cooldowns WHERE key = ?', [key]))?.last_at ?? null;
  }

  async setCooldown(key: string, at: number): Promise<void> {
    await this.db.run('INSERT INTO push_cooldowns (key, last_at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET last_at = excluded.last_at', [
      key,
      at,
    ]);
  }
}
