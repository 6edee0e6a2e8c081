import type { Migration } from '../migrate.js';

/** Issue 19: each account's age key pair, the private half wrapped (never stored in the clear). */
export const keyMigrations: Migration[] = [
  {
    version: 20,
    name: 'account key pairs for footage encrypted at rest',
    sql: `
      CREATE TABLE account_keys (
        user_id TEXT PRIMARY KEY REFERENCES users(id),
        recipient TEXT NOT NULL,
        wrapped_password TEXT NOT NULL,
        wrapped_recovery TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];
