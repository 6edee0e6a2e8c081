import type { Migration } from '../migrate.js';

export const coreMigrations: Migration[] = [
  {
    version: 1,
    name: 'accounts and sessions',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('owner','installer','police','advocate')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        created_by TEXT
      );
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE TABLE invites (
        code_hash TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE TABLE api_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE TABLE hub_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE plugin_kv (
        plugin TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (plugin, key)
      );
    `,
  },
  {
    version: 2,
    name: 'devices and event log',
    sql: `
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('sensor','camera')),
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        payload TEXT NOT NULL
      );
      CREATE INDEX events_ts ON events(ts);
      CREATE INDEX events_name_ts ON events(name, ts);
    `,
  },
];

coreMigrations.push({
  version: 3,
  name: 'audit log (append-only, hash-chained)',
  sql: `
    CREATE TABLE audit_log (
      seq INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      action TEXT NOT NULL,
      actor TEXT,
      subject TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
});

coreMigrations.push({
  version: 4,
  name: 'clips and holds',
  sql: `
    CREATE TABLE clips (
      id TEXT PRIMARY KEY,
      camera_id TEXT NOT NULL,
      trigger TEXT NOT NULL,
      path TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      size INTEGER NOT NULL,
      start_ts INTEGER NOT NULL,
      end_ts INTEGER NOT NULL,
      snapshot_path TEXT,
      snapshot_sha256 TEXT,
      correlation_id TEXT,
      created_at INTEGER NOT NULL,
      deleted_at INTEGER,
      delete_reason TEXT
    );
    CREATE INDEX clips_camera_time ON clips(camera_id, start_ts);
    CREATE TABLE holds (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      reason TEXT NOT NULL,
      camera_id TEXT,
      from_ts INTEGER NOT NULL,
      to_ts INTEGER NOT NULL,
      ref_id TEXT,
      created_at INTEGER NOT NULL,
      released_at INTEGER
    );
    CREATE INDEX holds_active ON holds(released_at, from_ts, to_ts);
  `,
});

coreMigrations.push({
  version: 5,
  name: 'plugin settings saved from the web app',
  sql: `
    CREATE TABLE plugin_settings (
      plugin TEXT PRIMARY KEY,
      body TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
});
