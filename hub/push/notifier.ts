/**
 * Turns "tell the owner" into queued Web Push messages: one per device the owner subscribed,
 * worded for that device (neutral when the device is in discreet mode), written to SQLite with
 * any action tokens in one transaction, then handed to the sender. The caller has already asked
 * the policy (`core.policy.mayNotify*`); nothing here decides whether a fact may be told.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PushStore } from './push-store.js';
import { type NotifyKind, type NotifySpec, payloadFor, type Wording } from './push-texts.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface NotifyRequest {
  kind: NotifyKind;
  words: Wording;
  spec: NotifySpec;
  eventTs: number;
  /** For "ask me first": the alert the buttons answer, and until when an answer can count. */
  ask?: { alertId: string; answerBy: number };
}

export class Notifier {
  constructor(
    private readonly store: PushStore,
    private readonly now: () => number,
    private readonly kick: (subscriptionId: string) => void,
  ) {}

  /** Queue the notification for every active device; returns how many were queued. */
  async notify(req: NotifyRequest): Promise<number> {
    const subs = await this.store.active();
    if (subs.length === 0) return 0;
    const now = this.now();
    const tokens: Array<{ token_hash: string; alert_id: string; subscription_id: string; expires_at: number }> = [];
    const rows = subs.map((s) => {
      let ask: { alertId: string; token: string } | undefined;
      if (req.ask) {
        // 32 random bytes per device and alert; only the hash is stored, and it is spent on first use.
        const token = randomBytes(32).toString('base64url');
        tokens.push({ token_hash: hashToken(token), alert_id: req.ask.alertId, subscription_id: s.id, expires_at: req.ask.answerBy });
        ask = { alertId: req.ask.alertId, token };
      }
      return {
        subscriptionId: s.id,
        kind: req.kind,
        alertId: req.ask?.alertId ?? null,
        payload: JSON.stringify(payloadFor(req.kind, req.words, req.spec, s.discreet === 1, ask)),
        ttlSeconds: req.spec.ttlSeconds,
        urgency: req.spec.urgency,
        eventTs: req.eventTs,
      };
    });
    await this.store.enqueue(rows, tokens, now);
    for (const s of subs) this.kick(s.id);
    return rows.length;
  }
}
