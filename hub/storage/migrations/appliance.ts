import type { Migration } from '../migrate.js';

/**
 * The hub as an appliance (range 650-659): backups made (so health can remind the owner when
 * there is none), updates tried and their outcome, and every (release, schema) pair the database
 * has run under, beside schema_migrations (which says when each migration was applied).
 */
export const applianceMigrations: Migration[] = [
  {
    version: 650,
    name: 'backups, updates and schema history',
    sql: `
      CREATE TABLE appliance_backups (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at INTEGER NOT NULL,
        via TEXT NOT NULL,
        actor TEXT,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL
      );
      CREATE TABLE appliance_updates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        from_version TEXT NOT NULL,
        to_version TEXT NOT NULL,
        package_sha256 TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE schema_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        recorded_at INTEGER NOT NULL,
        hub_version TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        versions TEXT NOT NULL
      );
    `,
  },
];
