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
];
