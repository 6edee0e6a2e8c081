/** Police: their requests with status, and the download of approved evidence packages. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf, post } from '../../api.js';
import { ErrorText, formatTime, useAction } from '../../components/form.js';
import { UnlockCard } from '../../components/unlock-card.js';
import { guardLockedLink } from '../../footage-lock.js';
import type { PoliceRequestView } from '../../view-types.js';

const WORDS: Record<PoliceRequestView['status'], string> = {
  pending: 'Waiting for the occupant',
  approved: 'Approved',
  partial: 'Part approved',
  refused: 'Refused',
};

function Download({ req }: { req: PoliceRequestView }) {
  const [href, setHref] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const ex = req.export;
  if (ex?.state === 'running' && ex.phase === 'waiting')
    return (
      <p role="status" data-testid="export-waiting">
        The time asked for has not ended yet: the package is made once {formatTime(req.toTs)} has passed.
      </p>
    );
  if (!ex || ex.state === 'running')
    return <p role="status">Preparing the evidence package… {ex?.total ? `${ex.done} of ${ex.total}` : (ex?.phase ?? '')}</p>;
  if (ex.state === 'failed') return <p class="error">The package could not be made. Ask the occupant to try again.</p>;
  return (
    <div class="actions">
      {ex.sha256 && (
        <p data-testid="package-sha256">
          SHA-256 of the package{ex.size ? ` (${ex.size} bytes)` : ''}: <code>{ex.sha256}</code>
          <br />
          Record it in your notes: <code>sha256sum</code> of the file you download must print the same.
        </p>
      )}
      {href ? (
        <a class="button primary" href={href} download data-testid="download-link" onClick={guardLockedLink}>
          Download the evidence package (one use)
        </a>
      ) : (
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() =>
            run(async () => {
              const r = await post<{ token: string; url?: string }>(`/api/requests/${encodeURIComponent(req.id)}/download-token`, {});
              setHref(r.url ?? `/api/evidence/download/${encodeURIComponent(r.token)}`);
            })
          }
        >
          Get download link
        </button>
      )}
      <ErrorText error={error} />
    </div>
  );
}

export function PoliceRequests() {
  const [requests, setRequests] = useState<PoliceRequestView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    get<{ requests: PoliceRequestView[] }>('/api/requests').then(
      (r) => setRequests(r.requests),
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);
  // While a package is being made, check again every 2 s (police get no live feed).
  const running = (requests ?? []).some(
    (r) => (r.status === 'approved' || r.status === 'partial') && r.export?.state !== 'ready' && r.export?.state !== 'failed',
  );
  useEffect(() => {
    if (!running) return undefined;
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, [running, load]);
  return (
    <>
      <h1 tabIndex={-1}>My requests</h1>
      <ErrorText error={error} />
      <UnlockCard />
      <button type="button" onClick={load}>
        Refresh
      </button>
      {requests && requests.length === 0 && <p class="muted">No requests yet.</p>}
      <ul class="plain" data-testid="police-requests">
        {(requests ?? []).map((r) => (
          <li key={r.id} class="card" data-request={r.id} data-status={r.status}>
            <h2>
              {r.crimeReference} · {r.offence}
            </h2>
            <p>
              {formatTime(r.fromTs)} to {formatTime(r.toTs)} · asked {formatTime(r.createdAt)}
            </p>
            <p class={`status status-${r.status}`}>
              {WORDS[r.status]}
              {r.decisionNote ? `: "${r.decisionNote}"` : ''}
              {r.status === 'partial' && r.clipCount ? ` (${r.clipCount} clips)` : ''}
            </p>
            {(r.status === 'approved' || r.status === 'partial') && <Download req={r} />}
          </li>
        ))}
      </ul>
    </>
  );
}
