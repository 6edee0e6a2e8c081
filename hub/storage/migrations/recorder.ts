import type { Migration } from '../migrate.js';

/** Camera / recorder schema (range 100-199). */
export const recorderMigrations: Migration[] = [
  {
    version: 100,
    name: 'recorder segment index',
    // Every segment the recorder wrote, with wall-clock times (the files' own timestamps restart
    // at zero). Rows stay after the file is deleted so retention can be audited.
    sql: `
      CREATE TABLE recorder_segments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id TEXT NOT NULL,
        path TEXT NOT NULL UNIQUE,
        start_ts INTEGER NOT NULL,
        end_ts INTEGER NOT NULL,
        size INTEGER NOT NULL,
        continuous INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        deleted_at INTEGER,
        delete_reason TEXT
      );
      CREATE INDEX recorder_segments_camera_time ON recorder_segments(camera_id, start_ts);
      CREATE INDEX recorder_segments_live ON recorder_segments(deleted_at, start_ts);
    `,
  },
  {
    version: 101,
    name: 'clip intents and evidence-hold settings',
    // A clip window is written here the moment its trigger arrives, before the clip exists: after
    // a power cut the hub finishes it from the segments on disk, and retention keeps every
    // segment inside a window that is not done. `hold_id` is the evidence hold made for it.
    sql: `
      CREATE TABLE recorder_clip_intents (
        id TEXT PRIMARY KEY,
        camera_id TEXT NOT NULL,
        trigger TEXT NOT NULL,
        event_ts INTEGER NOT NULL,
        start_ts INTEGER NOT NULL,
        end_ts INTEGER NOT NULL,
        correlation_id TEXT NOT NULL,
        triggers TEXT NOT NULL,
        hold_kinds TEXT NOT NULL DEFAULT '[]',
        hold_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending','done','failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX recorder_clip_intents_status ON recorder_clip_intents(status, camera_id, start_ts);
      CREATE TABLE recorder_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT
      );
    `,
  },
  {
    version: 640,
    name: 'linked event clips',
    // A presence longer than one clip's limit goes on in a next clip that names the one it continues.
    sql: 'ALTER TABLE recorder_clip_intents ADD COLUMN continues_clip_id TEXT;',
  },
];
