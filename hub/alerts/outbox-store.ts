/**
 * SQL for the alert outbox: alerts (one row each, written before any send) and deliveries (one
 * row per alert and channel, advancing queued -> sending -> sent/acknowledged, or failed with a
 * next attempt time). Nothing here decides anything; `outbox.ts` does.
 */
import type { AlertKind, AlertStatus } from '../api/events.js';
import type { OutboundAlert } from '../api/plugin.js';
import type { Database } from '../storage/database.js';

export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'acknowledged' | 'failed';

export interface Attached {
  location: boolean;
  coordinates: boolean;
  snapshot: boolean;
  clipLink: boolean;
  /** Why something consented to was not attached (no address set, no clip yet, ...). */
  notes: string[];
}

export interface AlertRow {
  seq: number;
  id: string;
  kind: AlertKind;
  phase: 'alarm' | 'restore';
  zone: string | null;
  text: string;
  correlation_id: string;
  created_at: number;
  consent_mode: string;
  consent_version: number;
  silent: number;
  attached: string;
  police_payload: string;
  local_payload: string;
  status: AlertStatus;
  detail: string;
  ask_expires_at: number | null;
  decided_by: string | null;
  decided_at: number | null;
  updated_at: number;
}

export interface DeliveryRow {
  seq: number;
  alert_id: string;
  channel: string;
  police: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  queued_at: number;
  sending_at: number | null;
  sent_at: number | null;
  acknowledged_at: number | null;
  failed_at: number | null;
  detail: string;
  /** What this channel is sent, when it differs from the alert's police or local payload. */
  payload: string | null;
}

export interface NewAlert {
  id: string;
  kind: AlertKind;
  phase: 'alarm' | 'restore';
  zone: string | null;
  text: string;
  correlationId: string;
  createdAt: number;
  consentMode: string;
  consentVersion: number;
  silent: boolean;
  attached: Attached;
  policePayload: OutboundAlert;
  localPayload: OutboundAlert;
  status: AlertStatus;
  detail: string;
  askExpiresAt: number | null;
}

const PENDING = "(status IN ('queued','sending') OR (status = 'failed' AND next_attempt_at IS NOT NULL))";

export class OutboxStore {
  constructor(private readonly db: Database) {}

  /** Whether any alert was raised for this correlation id (an event and its alert share it). */
  async hasCorrelation(correlationId: string): Promise<boolean> {
    return (await this.db.get<{ n: number }>('SELECT 1 AS n FROM alerts WHERE correlation_id = ? LIMIT 1', [correlationId])) !== undefined;
  }

  /** The alert and its first deliveries in one transaction: it is on disk before anything is sent. */
  async insert(a: NewAlert, deliveries: Array<{ channel: string; police: boolean; payload?: OutboundAlert }>): Promise<void> {
    await this.db.transaction(async () => {
      await this.db.run(
        `INSERT INTO alerts (id, kind, phase, zone, text, correlation_id, created_at, consent_mode, consent_version, silent,
           attached, police_payload, local_payload, status, detail, ask_expires_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          a.id,
          a.kind,
          a.phase,
          a.zone,
          a.text,
          a.correlationId,
          a.createdAt,
          a.consentMode,
          a.consentVersion,
          a.silent ? 1 : 0,
          JSON.stringify(a.attached),
          JSON.stringify(a.policePayload),
          JSON.stringify(a.localPayload),
          a.status,
          a.detail,
          a.askExpiresAt,
          a.createdAt,
        ],
      );
      for (const d of deliveries) await this.insertDelivery(a.id, d.channel, d.police, a.createdAt, d.payload);
    });
  }

  private async insertDelivery(alertId: string, channel: string, police: boolean, now: number, payload?: OutboundAlert): Promise<void> {
    await this.db.run('INSERT INTO alert_deliveries (alert_id, channel, police, status, queued_at, payload) VALUES (?, ?, ?, ?, ?, ?)', [
      alertId,
      channel,
      police ? 1 : 0,
      'queued',
      now,
      payload ? JSON.stringify(payload) : null,
    ]);
  }

  async addDeliveries(
    alertId: string,
    channels: string[],
    now: number,
    status: AlertStatus,
    detail: string,
    decidedBy: string,
  ): Promise<void> {
    await this.db.transaction(async () => {
      for (const c of channels) await this.insertDelivery(alertId, c, true, now);
      await this.db.run('UPDATE alerts SET status = ?, detail = ?, decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ?', [
        status,
        detail,
        decidedBy,
        now,
        now,
        alertId,
      ]);
    });
  }

  async setStatus(alertId: string, status: AlertStatus, detail: string, now: number, decidedBy: string | null = null): Promise<void> {
    await this.db.run(
      'UPDATE alerts SET status = ?, detail = ?, updated_at = ?, decided_by = COALESCE(?, decided_by), decided_at = CASE WHEN ? IS NULL THEN decided_at ELSE ? END WHERE id = ?',
      [status, detail, now, decidedBy, decidedBy, now, alertId],
    );
  }

  async setAskExpiry(alertId: string, expiresAt: number, now: number): Promise<void> {
    await this.db.run("UPDATE alerts SET ask_expires_at = ?, updated_at = ? WHERE id = ? AND status = 'awaiting_consent'", [
      expiresAt,
      now,
      alertId,
    ]);
  }

  alert(id: string): Promise<AlertRow | undefined> {
    return this.db.get<AlertRow>('SELECT * FROM alerts WHERE id = ?', [id]);
  }

  list(opts: { includeSilent: boolean; limit: number }): Promise<AlertRow[]> {
    return this.db.all<AlertRow>(`SELECT * FROM alerts ${opts.includeSilent ? '' : 'WHERE silent = 0'} ORDER BY seq DESC LIMIT ?`, [
      opts.limit,
    ]);
  }

  /** The latest alert for a condition (kind + zone), to pair restores with alarms. */
  latestFor(kind: AlertKind, zone: string | null): Promise<AlertRow | undefined> {
    return this.db.get<AlertRow>('SELECT * FROM alerts WHERE kind = ? AND zone IS ? ORDER BY seq DESC LIMIT 1', [kind, zone]);
  }

  awaitingConsent(): Promise<AlertRow[]> {
    return this.db.all<AlertRow>("SELECT * FROM alerts WHERE status = 'awaiting_consent' ORDER BY seq");
  }

  deliveries(alertId: string): Promise<DeliveryRow[]> {
    return this.db.all<DeliveryRow>('SELECT * FROM alert_deliveries WHERE alert_id = ? ORDER BY seq', [alertId]);
  }

  deliveriesFor(alertIds: string[]): Promise<DeliveryRow[]> {
    if (alertIds.length === 0) return Promise.resolve([]);
    return this.db.all<DeliveryRow>(
      `SELECT * FROM alert_deliveries WHERE alert_id IN (${alertIds.map(() => '?').join(',')}) ORDER BY seq`,
      alertIds,
    );
  }

  /** The oldest unfinished delivery of a channel: deliveries go out in order, one at a time. */
  nextPending(channel: string): Promise<DeliveryRow | undefined> {
    return this.db.get<DeliveryRow>(`SELECT * FROM alert_deliveries WHERE channel = ? AND ${PENDING} ORDER BY seq LIMIT 1`, [channel]);
  }

  async pendingChannels(): Promise<string[]> {
    const rows = await this.db.all<{ channel: string }>(`SELECT DISTINCT channel FROM alert_deliveries WHERE ${PENDING}`);
    return rows.map((r) => r.channel);
  }

  async markSending(seq: number, now: number): Promise<void> {
    await this.db.run(
      "UPDATE alert_deliveries SET status = 'sending', sending_at = ?, attempts = attempts + 1, detail = '' WHERE seq = ?",
      [now, seq],
    );
  }

  async markDone(seq: number, acknowledged: boolean, detail: string, now: number): Promise<void> {
    await this.db.run(
      `UPDATE alert_deliveries SET status = ?, sent_at = COALESCE(sent_at, ?), acknowledged_at = ?, next_attempt_at = NULL, detail = ? WHERE seq = ?`,
      [acknowledged ? 'acknowledged' : 'sent', now, acknowledged ? now : null, detail, seq],
    );
  }

  async markFailed(seq: number, detail: string, now: number, nextAttemptAt: number | null): Promise<void> {
    await this.db.run("UPDATE alert_deliveries SET status = 'failed', failed_at = ?, next_attempt_at = ?, detail = ? WHERE seq = ?", [
      now,
      nextAttemptAt,
      detail,
      seq,
    ]);
  }
}
