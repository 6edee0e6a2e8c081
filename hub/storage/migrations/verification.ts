import type { Migration } from '../migrate.js';

/**
 * Verification links (in the consent/alerts range, 460-469): one row per consented alert that
 * carried a snapshot or clip link to the ARC. Only the token's SHA-256 is kept, so the database
 * alone cannot open anything; each row names the one clip it opens and what of it.
 */
export const verificationMigrations: Migration[] = [
  {
    version: 460,
    name: 'verification links for alarm receiving centres',
    sql: `
      CREATE TABLE verification_links (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        alert_id TEXT NOT NULL,
        clip_id TEXT NOT NULL,
        allow_snapshot INTEGER NOT NULL,
        allow_clip INTEGER NOT NULL,
        silent INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_by TEXT,
        openings INTEGER NOT NULL DEFAULT 0,
        last_opened_at INTEGER
      );
      CREATE INDEX verification_links_alert ON verification_links (alert_id);
    `,
  },
];
