/**
 * The alarm's tables (migration 300): the current state (one row), the transition history, PIN
 * hashes, the wrong-PIN guard, victim settings and the last known state of each sensor.
 */
import type { AlarmState, ArmMode, SensorRef } from '../api/events.js';
import type { Database } from '../storage/database.js';

export interface AlarmRecord {
  state: AlarmState;
  mode: ArmMode | null;
  delayEndsAt: number | null;
  triggeredBy: SensorRef | null;
  reason: string;
  /** Sensors open when the owner armed with `force`: ignored until they close. */
  bypassed: string[];
  /** When a sounding siren stops by itself (a restart resumes it until then). */
  sirenUntil: number | null;
  changedAt: number;
  changedBy: string | null;
}

export interface SensorStateRow {
  open: boolean | null;
  tamper: boolean;
  batteryLow: boolean;
  battery: number | null;
  online: boolean;
  lastChange: number | null;
}

export interface PinRow {
  userId: string;
  pinHash: string;
  duressHash: string;
}

export interface HistoryEntry {
  ts: number;
  from: AlarmState;
  to: AlarmState;
  mode: ArmMode | null;
  reason: string;
  userId: string | null;
  delayEndsAt: number | null;
  causeSensorId: string | null;
}

interface StateRow {
  state: AlarmState;
  mode: ArmMode | null;
  delay_ends_at: number | null;
  triggered_by: string | null;
  reason: string;
  bypassed: string;
  siren_until: number | null;
  changed_at: number;
  changed_by: string | null;
}

export class AlarmStore {
  constructor(private readonly db: Database) {}

  async loadState(): Promise<AlarmRecord | null> {
    const r = await this.db.get<StateRow>('SELECT * FROM alarm_state WHERE id = 1');
    if (!r) return null;
    return {
      state: r.state,
      mode: r.mode,
      delayEndsAt: r.delay_ends_at,
      triggeredBy: r.triggered_by ? (JSON.parse(r.triggered_by) as SensorRef) : null,
      reason: r.reason,
      bypassed: JSON.parse(r.bypassed) as string[],
      sirenUntil: r.siren_until,
      changedAt: r.changed_at,
      changedBy: r.changed_by,
    };
  }

  async saveState(rec: AlarmRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO alarm_state (id, state, mode, delay_ends_at, triggered_by, reason, bypassed, siren_until, changed_at, changed_by)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, mode = excluded.mode, delay_ends_at = excluded.delay_ends_at,
         triggered_by = excluded.triggered_by, reason = excluded.reason, bypassed = excluded.bypassed,
         siren_until = excluded.siren_until, changed_at = excluded.changed_at, changed_by = excluded.changed_by`,
      [
        rec.state,
        rec.mode,
        rec.delayEndsAt,
        rec.triggeredBy ? JSON.stringify(rec.triggeredBy) : null,
        rec.reason,
        JSON.stringify(rec.bypassed),
        rec.sirenUntil,
        rec.changedAt,
        rec.changedBy,
      ],
    );
  }

  /** The new state row and its history entry commit together: a restart never sees one without the other. */
  async saveTransition(rec: AlarmRecord, e: HistoryEntry): Promise<void> {
    await this.db.transaction(async () => {
      await this.saveState(rec);
      await this.addHistory(e);
    });
  }

  async addHistory(e: HistoryEntry): Promise<void> {
    await this.db.run(
      'INSERT INTO alarm_history (ts, from_state, to_state, mode, reason, user_id, delay_ends_at, cause_sensor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [e.ts, e.from, e.to, e.mode, e.reason, e.userId, e.delayEndsAt, e.causeSensorId],
    );
  }

  async history(
    limit: number,
  ): Promise<Array<{ ts: number; from: AlarmState; to: AlarmState; mode: ArmMode | null; reason: string; userId: string | null }>> {
    const rows = await this.db.all<{
      ts: number;
      from_state: AlarmState;
      to_state: AlarmState;
      mode: ArmMode | null;
      reason: string;
      user_id: string | null;
    }>('SELECT ts, from_state, to_state, mode, reason, user_id FROM alarm_history ORDER BY seq DESC LIMIT ?', [limit]);
    return rows.map((r) => ({ ts: r.ts, from: r.from_state, to: r.to_state, mode: r.mode, reason: r.reason, userId: r.user_id }));
  }

  pins(): Promise<PinRow[]> {
    return this.db.all<PinRow>(
      'SELECT user_id AS userId, pin_hash AS pinHash, duress_hash AS duressHash FROM alarm_pins ORDER BY updated_at',
    );
  }

  async setPins(userId: string, pinHash: string, duressHash: string, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO alarm_pins (user_id, pin_hash, duress_hash, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(user_id) DO UPDATE SET pin_hash = excluded.pin_hash, duress_hash = excluded.duress_hash, updated_at = excluded.updated_at`,
      [userId, pinHash, duressHash, now],
    );
  }

  async guard(): Promise<{ failures: number; lockedUntil: number | null }> {
    const r = await this.db.get<{ failures: number; locked_until: number | null }>(
      'SELECT failures, locked_until FROM alarm_pin_guard WHERE id = 1',
    );
    return { failures: r?.failures ?? 0, lockedUntil: r?.locked_until ?? null };
  }

  async setGuard(failures: number, lockedUntil: number | null): Promise<void> {
    await this.db.run(
      'INSERT INTO alarm_pin_guard (id, failures, locked_until) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until',
      [failures, lockedUntil],
    );
  }

  async setting<T>(key: string): Promise<T | undefined> {
    const r = await this.db.get<{ value: string }>('SELECT value FROM alarm_settings WHERE key = ?', [key]);
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  async setSetting(key: string, value: unknown, now: number, userId: string | null): Promise<void> {
    await this.db.run(
      `INSERT INTO alarm_settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [key, JSON.stringify(value), now, userId],
    );
  }

  async sensorStates(): Promise<Map<string, SensorStateRow>> {
    const rows = await this.db.all<{
      sensor_id: string;
      open: number | null;
      tamper: number;
      battery_low: number;
      battery: number | null;
      online: number;
      last_change: number | null;
    }>('SELECT * FROM alarm_sensor_state');
    return new Map(
      rows.map((r) => [
        r.sensor_id,
        {
          open: r.open === null ? null : r.open === 1,
          tamper: r.tamper === 1,
          batteryLow: r.battery_low === 1,
          battery: r.battery,
          online: r.online === 1,
          lastChange: r.last_change,
        },
      ]),
    );
  }

  async saveSensorState(id: string, s: SensorStateRow, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO alarm_sensor_state (sensor_id, open, tamper, battery_low, battery, online, last_change, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(sensor_id) DO UPDATE SET open = excluded.open, tamper = excluded.tamper, battery_low = excluded.battery_low,
         battery = excluded.battery, online = excluded.online, last_change = excluded.last_change, updated_at = excluded.updated_at`,
      [id, s.open === null ? null : s.open ? 1 : 0, s.tamper ? 1 : 0, s.batteryLow ? 1 : 0, s.battery, s.online ? 1 : 0, s.lastChange, now],
    );
  }
}
