/**
 * How an alert reads in the API: its consent decision, what was attached, each channel's delivery
 * with times, and one line for the victim ("police notified 02:13:05, acknowledged 02:13:05").
 */
import type { AlertRow, Attached, DeliveryRow } from './outbox-store.js';

function clock(ts: number | null): string | null {
  if (ts === null) return null;
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function summary(a: AlertRow, deliveries: DeliveryRow[]): string {
  const police = deliveries.filter((d) => d.police === 1);
  const ack = police.find((d) => d.acknowledged_at !== null);
  if (ack) return `police notified ${clock(ack.sent_at)}, acknowledged ${clock(ack.acknowledged_at)}`;
  const sent = police.find((d) => d.sent_at !== null);
  if (sent) return `police notified ${clock(sent.sent_at)}`;
  switch (a.status) {
    case 'queued':
    case 'sending':
      return 'telling the police now';
    case 'failed': {
      const retry = police.map((d) => d.next_attempt_at).find((t) => t !== null);
      return retry ? `not through yet, trying again at ${clock(retry)}` : `could not tell the police: ${a.detail}`;
    }
    case 'awaiting_consent':
      return 'waiting for you to say send';
    case 'expired':
      return 'not sent: no answer in time';
    case 'refused':
      return a.detail.startsWith('you chose') ? 'not sent: you chose not to' : 'not sent: your settings keep this at home';
    default:
      return a.detail;
  }
}

export function alertView(a: AlertRow, deliveries: DeliveryRow[]) {
  return {
    id: a.id,
    kind: a.kind,
    phase: a.phase,
    zone: a.zone,
    text: a.text,
    createdAt: a.created_at,
    status: a.status,
    detail: a.detail,
    summary: summary(a, deliveries),
    silent: a.silent === 1,
    consent: { mode: a.consent_mode, version: a.consent_version },
    attached: JSON.parse(a.attached) as Attached,
    askExpiresAt: a.ask_expires_at,
    decidedBy: a.decided_by,
    decidedAt: a.decided_at,
    deliveries: deliveries.map((d) => ({
      channel: d.channel,
      police: d.police === 1,
      status: d.status,
      attempts: d.attempts,
      queuedAt: d.queued_at,
      sendingAt: d.sending_at,
      sentAt: d.sent_at,
      acknowledgedAt: d.acknowledged_at,
      failedAt: d.failed_at,
      nextAttemptAt: d.next_attempt_at,
      detail: d.detail,
    })),
  };
}

export type AlertView = ReturnType<typeof alertView>;
