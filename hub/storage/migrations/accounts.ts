import type { Migration } from '../migrate.js';

/** Issue 14: signed-in devices (address, device, last use), known-device cookies, expiring accounts and tokens, removal. */
export const accountMigrations: Migration[] = [
  {
    version: 10,
    name: 'signed-in devices, known devices, expiring accounts and API tokens',
    sql: `
      ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
      ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
      ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
      ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
      ALTER TABLE api_tokens ADD COLUMN last_address TEXT NOT NULL DEFAULT '';
      ALTER TABLE users ADD COLUMN expires_at INTEGER;
      ALTER TABLE users ADD COLUMN removed_at INTEGER;
      CREATE TABLE known_devices (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL
      );
      CREATE INDEX known_devices_user ON known_devices(user_id);
      CREATE INDEX api_tokens_user ON api_tokens(user_id);
    `,
  },
];
