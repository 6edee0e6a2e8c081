/** Police: their requests with status, and the download of approved evidence packages. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf, post } from '../../api.js';
import { ErrorText, formatTime, useAction } from '../../components/form.js';
import type { ExportView, PoliceRequestView } from '../../view-types.js';

const WORDS: Record<PoliceRequestView['status'], string> = {
  pending: 'Waiting for the occupant',
  approved: 'Approved',
  partial: 'Part approved',
  refused: 'Refused',
};

function Download({ req }: { req: PoliceRequestView }) {
  const [progress, setProgress] = useState<ExportView | null>(null);
  const [href, setHref] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  useEffect(() => {
    let stop = false;
    const poll = () => {
      get<{ export: ExportView | null }>(`/api/requests/${encodeURIComponent(req.id)}/export`).then(
        (r) => {
          if (stop) return;
          setProgress(r.export);
          if (!r.export || r.export.state === 'running') setTimeout(poll, 1000);
        },
        (err: unknown) => console.warn('export progress', messageOf(err)),
      );
    };
    poll();
    return () => {
      stop = true;
    };
  }, [req.id]);
  if (progress?.state === 'running')
    return <p role="status">Preparing the package… {progress.total ? `${progress.done} of ${progress.total}` : progress.phase}</p>;
  if (progress?.state === 'failed') return <p class="error">The package could not be made: {progress.error ?? progress.phase}</p>;
  return (
    <div class="actions">
      {href ? (
        <a class="button primary" href={href} download data-testid="download-link">
          Download the evidence package
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
  return (
    <>
      <h1 tabIndex={-1}>My requests</h1>
      <ErrorText error={error} />
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
            </p>
            {(r.status === 'approved' || r.status === 'partial') && <Download req={r} />}
          </li>
        ))}
      </ul>
    </>
  );
}
