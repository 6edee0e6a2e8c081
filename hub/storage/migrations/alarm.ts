import type { Migration } from '../migrate.js';

/** Sensors and alarm (300-399). */
export const alarmMigrations: Migration[] = [
  {
    version: 300,
    name: 'alarm state, history, PINs and sensor state',
    sql: `
      -- One row: the alarm as it is now, so a restarted hub comes back exactly where it was.
      CREATE TABLE alarm_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        state TEXT NOT NULL,
        mode TEXT,
        delay_ends_at INTEGER,
        triggered_by TEXT,
        reason TEXT NOT NULL,
        bypassed TEXT NOT NULL DEFAULT '[]',
        siren_until INTEGER,
        changed_at INTEGER NOT NULL,
        changed_by TEXT
      );
      -- Every transition, in order (what the UI's alarm history shows; duress is not recorded here).
      CREATE TABLE alarm_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        mode TEXT,
        reason TEXT NOT NULL,
        user_id TEXT,
        delay_ends_at INTEGER,
        cause_sensor_id TEXT
      );
      CREATE INDEX alarm_history_ts ON alarm_history(ts);
      CREATE TABLE alarm_pins (
        user_id TEXT PRIMARY KEY REFERENCES users(id),
        pin_hash TEXT NOT NULL,
        duress_hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- Wrong-PIN counter survives a restart: pulling the plug must not reset the lockout.
      CREATE TABLE alarm_pin_guard (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        failures INTEGER NOT NULL,
        locked_until INTEGER
      );
      CREATE TABLE alarm_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT
      );
      -- The last known state of each sensor (what GET /api/alarm shows after a restart).
      CREATE TABLE alarm_sensor_state (
        sensor_id TEXT PRIMARY KEY,
        open INTEGER,
        tamper INTEGER NOT NULL DEFAULT 0,
        battery_low INTEGER NOT NULL DEFAULT 0,
        battery REAL,
        online INTEGER NOT NULL DEFAULT 0,
        last_change INTEGER,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];
