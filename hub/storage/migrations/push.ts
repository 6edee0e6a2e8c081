/**
 * Web Push (range 630-639). The hub's VAPID key pair (one row; the private key never leaves the
 * database and is never logged), the owner's device subscriptions, the durable push queue (one
 * row per notification and device, written before it is sent, so a restart resends what was
 * not acknowledged by the push service), one-time action tokens for "ask me first" answered from
 * the lock screen (only their SHA-256 is kept), and the per-camera person cooldown.
 */
import type { Migration } from '../migrate.js';

export const pushMigrations: Migration[] = [
  {
    version: 630,
    name: 'web push: vapid keys, subscriptions, queue, action tokens, cooldowns',
    sql: `
      CREATE TABLE push_vapid (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        public_key TEXT NOT NULL,
        private_key TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE push_subscriptions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        endpoint TEXT NOT NULL UNIQUE,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        device TEXT NOT NULL,
        discreet INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        last_ok_at INTEGER,
        removed_at INTEGER,
        removed_reason TEXT
      );
      CREATE TABLE push_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription_id TEXT NOT NULL REFERENCES push_subscriptions(id),
        kind TEXT NOT NULL,
        alert_id TEXT,
        payload TEXT NOT NULL,
        ttl_seconds INTEGER NOT NULL,
        urgency TEXT NOT NULL CHECK (urgency IN ('very-low','low','normal','high')),
        event_ts INTEGER NOT NULL,
        queued_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued','sending','sent','failed','dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        sent_at INTEGER,
        detail TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX push_deliveries_pending ON push_deliveries(subscription_id, status);
      CREATE TABLE push_action_tokens (
        token_hash TEXT PRIMARY KEY,
        alert_id TEXT NOT NULL,
        subscription_id TEXT NOT NULL REFERENCES push_subscriptions(id),
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        used_action TEXT
      );
      CREATE TABLE push_cooldowns (
        key TEXT PRIMARY KEY,
        last_at INTEGER NOT NULL
      );
    `,
  },
];
