/**
 * Consent and the alert outbox (range 400-499). Consent versions are append-only (a trigger
 * refuses edits): the victim's history of what police may be told must never be rewritten.
 * Alerts are written before any send, with the consent decision and what was attached; each
 * channel's delivery is its own row so the ARC and the local MQTT topic progress independently.
 */
import type { Migration } from '../migrate.js';

export const alertsMigrations: Migration[] = [
  {
    version: 400,
    name: 'consent versions (append-only)',
    sql: `
      CREATE TABLE consent_versions (
        version INTEGER PRIMARY KEY,
        settings TEXT NOT NULL,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        alarm_active INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TRIGGER consent_versions_no_update BEFORE UPDATE ON consent_versions
        BEGIN SELECT RAISE(ABORT, 'consent versions are never overwritten'); END;
      CREATE TRIGGER consent_versions_no_delete BEFORE DELETE ON consent_versions
        BEGIN SELECT RAISE(ABORT, 'consent versions are never deleted'); END;
    `,
  },
  {
    version: 401,
    name: 'alert outbox and deliveries',
    sql: `
      CREATE TABLE alerts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        phase TEXT NOT NULL CHECK (phase IN ('alarm','restore')),
        zone TEXT,
        text TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        consent_mode TEXT NOT NULL,
        consent_version INTEGER NOT NULL,
        silent INTEGER NOT NULL DEFAULT 0,
        attached TEXT NOT NULL,
        police_payload TEXT NOT NULL,
        local_payload TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL,
        ask_expires_at INTEGER,
        decided_by TEXT,
        decided_at INTEGER,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX alerts_created ON alerts(created_at);
      CREATE INDEX alerts_status ON alerts(status);
      CREATE TABLE alert_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL REFERENCES alerts(id),
        channel TEXT NOT NULL,
        police INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        queued_at INTEGER NOT NULL,
        sending_at INTEGER,
        sent_at INTEGER,
        acknowledged_at INTEGER,
        failed_at INTEGER,
        detail TEXT NOT NULL DEFAULT '',
        UNIQUE (alert_id, channel)
      );
      CREATE INDEX alert_deliveries_pending ON alert_deliveries(channel, status, seq);
    `,
  },
  {
    version: 450,
    name: 'silent facts (correlation ids of silent panics and duress)',
    sql: `
      CREATE TABLE silent_facts (
        correlation_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        ts INTEGER NOT NULL
      );
    `,
  },
  {
    version: 451,
    name: 'per-delivery payload (each channel gets what the owner let it have)',
    sql: `ALTER TABLE alert_deliveries ADD COLUMN payload TEXT;`,
  },
];
