/** Evidence: police requests, their export packages, download tokens and advocates' incident logs. */
import type { Migration } from '../migrate.js';

export const evidenceMigrations: Migration[] = [
  {
    version: 500,
    name: 'police requests, exports, download tokens, incident logs',
    sql: `
      CREATE TABLE police_requests (
        id TEXT PRIMARY KEY,
        police_user_id TEXT NOT NULL REFERENCES users(id),
        force TEXT NOT NULL,
        officer_name TEXT NOT NULL,
        officer_id TEXT NOT NULL,
        crime_reference TEXT NOT NULL,
        offence TEXT NOT NULL,
        from_ts INTEGER NOT NULL,
        to_ts INTEGER NOT NULL,
        camera_ids TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','approved','partial','refused')),
        approved_clip_ids TEXT,
        decision_note TEXT,
        decided_by TEXT,
        decided_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX police_requests_user ON police_requests(police_user_id, created_at);
      CREATE TABLE evidence_exports (
        id TEXT PRIMARY KEY,
        request_id TEXT NOT NULL REFERENCES police_requests(id),
        state TEXT NOT NULL CHECK (state IN ('running','ready','failed')),
        phase TEXT NOT NULL,
        done INTEGER NOT NULL,
        total INTEGER NOT NULL,
        path TEXT,
        sha256 TEXT,
        size INTEGER,
        error TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX evidence_exports_request ON evidence_exports(request_id, created_at);
      CREATE TABLE download_tokens (
        token_hash TEXT PRIMARY KEY,
        request_id TEXT NOT NULL REFERENCES police_requests(id),
        export_id TEXT NOT NULL REFERENCES evidence_exports(id),
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE TABLE incident_logs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created_by TEXT NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        event_count INTEGER NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL
      );
      CREATE TABLE incident_log_shares (
        log_id TEXT NOT NULL REFERENCES incident_logs(id),
        advocate_id TEXT NOT NULL REFERENCES users(id),
        PRIMARY KEY (log_id, advocate_id)
      );
      CREATE INDEX incident_log_shares_advocate ON incident_log_shares(advocate_id);
    `,
  },
];
