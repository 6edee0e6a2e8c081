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
  open_close: 'Set / unset report',
};

/** The hub's own one-line summary ("police notified 02:13:05, acknowledged 02:13:05"), capitalised. */
export function describeAlert(a: AlertView): string {
  const line = a.summary ?? a.status;
  return line.charAt(0).toUpperCase() + line.slice(1);
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

  // The hub's visibility policy already left out silent alerts (a covert panic, duress): this
  // list shows what the server sent, nothing is filtered here. Alerts of the same kind that ended
  // the same way are one line with a count, so ten "not sent" rows do not bury the one that matters.
  const groups: Array<{ first: AlertView; count: number; oldest: number }> = [];
  for (const a of alerts ?? []) {
    const g = a.status === 'awaiting_consent' ? undefined : groups.find((x) => x.first.kind === a.kind && x.first.status === a.status);
    if (g) {
      g.count++;
      g.oldest = Math.min(g.oldest, a.createdAt);
    } else groups.push({ first: a, count: 1, oldest: a.createdAt });
  }
  const shown = groups.slice(0, props.limit ?? 5);
  return (
    <section aria-labelledby="alerts-h" class="card">
      <h2 id="alerts-h">Alerts</h2>
      {error && <p class="error">{error}</p>}
      {alerts && shown.length === 0 && <p class="muted">No alerts.</p>}
      <ul class="rows" data-testid="alerts">
        {shown.map(({ first: a, count, oldest }) => (
          <li key={a.id} data-count={String(count)}>
            <span class="row-title">
              {KIND[a.kind] ?? a.kind}
              {count > 1 ? ` ×${count} · ${formatTime(oldest)} to ${formatTime(a.createdAt)}` : ` · ${formatTime(a.createdAt)}`}
            </span>
            <span class={`status status-${a.status}`}>
              {count > 1 ? 'Latest: ' : ''}
              {describeAlert(a)}
            </span>
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
