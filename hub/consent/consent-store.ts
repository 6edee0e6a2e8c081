/**
 * Consent versions in SQLite. A change is a new row (who, when, which session, whether an alarm
 * was active) and never an edit: a trigger refuses UPDATE and DELETE. Version 0 is the default
 * (nothing leaves the home) and is not stored.
 */
import type { Database } from '../storage/database.js';
import { type ConsentSettings, DEFAULT_CONSENT, normaliseSettings } from './settings.js';

export interface ConsentVersion {
  version: number;
  settings: ConsentSettings;
  userId: string | null;
  sessionId: string | null;
  alarmActive: boolean;
  createdAt: number | null;
}

interface Row {
  version: number;
  settings: string;
  user_id: string;
  session_id: string;
  alarm_active: number;
  created_at: number;
}

const DEFAULT_VERSION: ConsentVersion = {
  version: 0,
  settings: DEFAULT_CONSENT,
  userId: null,
  sessionId: null,
  alarmActive: false,
  createdAt: null,
};

function fromRow(r: Row): ConsentVersion {
  return {
    version: r.version,
    settings: normaliseSettings(JSON.parse(r.settings) as Partial<ConsentSettings>),
    userId: r.user_id,
    sessionId: r.session_id,
    alarmActive: r.alarm_active === 1,
    createdAt: r.created_at,
  };
}

export class ConsentStore {
  private cached: ConsentVersion | null = null;

  constructor(private readonly db: Database) {}

  async current(): Promise<ConsentVersion> {
    if (this.cached) return this.cached;
    const row = await this.db.get<Row>('SELECT * FROM consent_versions ORDER BY version DESC LIMIT 1');
    this.cached = row ? fromRow(row) : DEFAULT_VERSION;
    return this.cached;
  }

  async append(
    settings: ConsentSettings,
    who: { userId: string; sessionId: string; alarmActive: boolean; now: number },
  ): Promise<ConsentVersion> {
    const v = await this.db.transaction(async () => {
      const last = await this.db.get<{ version: number }>('SELECT MAX(version) AS version FROM consent_versions');
      const version = (last?.version ?? 0) + 1;
      await this.db.run(
        'INSERT INTO consent_versions (version, settings, user_id, session_id, alarm_active, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [version, JSON.stringify(settings), who.userId, who.sessionId, who.alarmActive ? 1 : 0, who.now],
      );
      return version;
    });
    this.cached = { version: v, settings, userId: who.userId, sessionId: who.sessionId, alarmActive: who.alarmActive, createdAt: who.now };
    return this.cached;
  }

  /** Newest first, with the default as the oldest entry. */
  async history(): Promise<ConsentVersion[]> {
    const rows = await this.db.all<Row>('SELECT * FROM consent_versions ORDER BY version DESC');
    return [...rows.map(fromRow), DEFAULT_VERSION];
  }
}
