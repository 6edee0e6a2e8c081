/** Advocate: the incident logs the victim chose to share, to read or print for court. */
import { useEffect, useState } from 'preact/hooks';
import { get, messageOf } from '../../api.js';
import { ErrorText, formatTime } from '../../components/form.js';
import { UnlockCard } from '../../components/unlock-card.js';
import { guardLockedLink } from '../../footage-lock.js';
import type { IncidentLogView } from '../../view-types.js';

export function AdvocateLogs() {
  const [logs, setLogs] = useState<IncidentLogView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ logs: IncidentLogView[] }>('/api/incident-logs').then(
      (r) => setLogs(r.logs),
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  return (
    <>
      <h1 tabIndex={-1}>Shared incident logs</h1>
      <ErrorText error={error} />
      <UnlockCard />
      {logs && logs.length === 0 && <p class="muted">Nothing has been shared with you yet.</p>}
      <ul class="rows" data-testid="shared-logs">
        {(logs ?? []).map((l) => (
          <li key={l.id}>
            <a
              class="row-title"
              href={`/api/incident-logs/${encodeURIComponent(l.id)}/html`}
              target="_blank"
              rel="noopener"
              onClick={guardLockedLink}
            >
              {l.title}
            </a>
            <span class="muted">
              {l.eventCount} events · {formatTime(l.createdAt)}
            </span>
            {l.sha256 && (
              <span class="muted" data-testid="log-integrity">
                SHA-256 <code>{l.sha256}</code> ·{' '}
                <a href={`/api/incident-logs/${encodeURIComponent(l.id)}/signature`} target="_blank" rel="noopener">
                  signature and hub key
                </a>
              </span>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
