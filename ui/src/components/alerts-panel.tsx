/**
 * What happened to each alert: "Police notified 02:13:05, acknowledged". Alerts waiting for the
 * victim's answer (consent mode "ask") get Send / Don't send buttons.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { AlertKind } from '../../../hub/api/events.js';
import { get, messageOf, post } from '../api.js';
import { useLiveEvents } from '../live.js';
import type { AlertView } from '../view-types.js';
import { formatTime } from './form.js';

const KIND: Record<AlertKind, string> = {
  panic: 'Help request',
  duress: 'Silent alert',
  intrusion: 'Break-in alarm',
  tamper: 'Tampering',
  link_loss: 'Hub offline',
};

function sentAt(a: AlertView): number | null {
  if (a.sentAt) return a.sentAt;
  const d = a.deliveries?.find((x) => x.status === 'sent' || x.status === 'acknowledged');
  return d?.ts ?? null;
}

export function describeAlert(a: AlertView): string {
  switch (a.status) {
    case 'awaiting_consent':
      return 'Waiting for your answer';
    case 'queued':
    case 'sending':
      return 'Telling the police…';
    case 'sent':
      return `Police notified ${formatTime(sentAt(a))}`;
    case 'acknowledged':
      return `Police notified ${formatTime(sentAt(a))}, acknowledged`;
    case 'failed':
      return 'Could not reach the police yet';
    case 'refused':
      return 'Not sent to police (your choice)';
    case 'expired':
      return 'Not sent to police (no answer)';
    default:
      return a.status;
  }
}

export function AlertsPanel(props: { refreshKey?: number; limit?: number }) {
  const [alerts, setAlerts] = useState<AlertView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    get<{ alerts: AlertView[] }>('/api/alerts').then(
      (r) => {
        setAlerts(r.alerts);
        setError(null);
      },
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load, props.refreshKey]);
  useLiveEvents(['alert.', 'panic'], load);

  const answer = (id: string, action: 'send' | 'dismiss') => {
    post(`/api/alerts/${encodeURIComponent(id)}/${action}`).then(load, (err: unknown) => setError(messageOf(err)));
  };

  // A duress alert is never shown: whoever forced the disarm may be looking at this screen.
  const shown = (alerts ?? []).filter((a) => a.kind !== 'duress').slice(0, props.limit ?? 5);
  return (
    <section aria-labelledby="alerts-h" class="card">
      <h2 id="alerts-h">Alerts</h2>
      {error && <p class="error">{error}</p>}
      {alerts && shown.length === 0 && <p class="muted">No alerts.</p>}
      <ul class="rows" data-testid="alerts">
        {shown.map((a) => (
          <li key={a.id}>
            <span class="row-title">
              {KIND[a.kind] ?? a.kind} · {formatTime(a.createdAt)}
            </span>
            <span class={`status status-${a.status}`}>{describeAlert(a)}</span>
            {a.status === 'awaiting_consent' && (
              <span class="actions">
                <button type="button" class="primary" onClick={() => answer(a.id, 'send')}>
                  Send to police
                </button>
                <button type="button" onClick={() => answer(a.id, 'dismiss')}>
                  Don't send
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
