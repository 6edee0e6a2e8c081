/** The victim's inbox of police footage requests: approve, approve part (chosen clips), or refuse. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf, post } from '../../api.js';
import { Check, ErrorText, Field, formatTime, useAction } from '../../components/form.js';
import { UnlockCard } from '../../components/unlock-card.js';
import { useLiveEvents } from '../../live.js';
import type { ClipView, FootageWindowView, PoliceRequestView } from '../../view-types.js';

export const STATUS_WORDS: Record<PoliceRequestView['status'], string> = {
  pending: 'Waiting for your answer',
  approved: 'Approved',
  partial: 'Part approved',
  refused: 'Refused',
};

const GAP_WORDS: Record<FootageWindowView['gaps'][number]['reason'], string> = {
  'camera-offline': 'camera offline',
  retention: 'deleted by retention',
  'outside-buffer': 'not kept (outside the recording buffer)',
};

/** What the hub holds for the window, so the decision is made knowing what would be shared. */
function Footage({ requestId }: { requestId: string }) {
  const [footage, setFootage] = useState<FootageWindowView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ footage?: FootageWindowView[] }>(`/api/requests/${encodeURIComponent(requestId)}`).then(
      (r) => setFootage(r.footage ?? []),
      (err: unknown) => setError(messageOf(err)),
    );
  }, [requestId]);
  if (error) return <ErrorText error={error} />;
  if (!footage) return <p class="muted">Looking up the recorded footage…</p>;
  if (footage.length === 0)
    return (
      <p class="muted" data-testid="request-footage">
        No camera in this home: nothing recorded to share.
      </p>
    );
  return (
    <ul class="plain" data-testid="request-footage">
      {footage.map((w) => (
        <li key={w.cameraId} data-camera={w.cameraId}>
          {w.cameraName}: {Math.round(w.recordedMs / 1000)} s recorded of {Math.round(w.windowMs / 1000)} s
          {w.gaps.map((g) => (
            <span key={g.fromTs} class="muted">
              {' '}
              · missing {formatTime(g.fromTs)} to {formatTime(g.toTs)} ({GAP_WORDS[g.reason]})
            </span>
          ))}
        </li>
      ))}
    </ul>
  );
}

function RequestCard(props: { req: PoliceRequestView; onDone: () => void }) {
  const { req } = props;
  const [note, setNote] = useState('');
  const [clips, setClips] = useState<ClipView[] | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const { busy, error, run } = useAction();
  const pending = req.status === 'pending';
  const pickPart = () =>
    run(async () => {
      const r = await get<{ clips: ClipView[] }>(`/api/clips?from=${req.fromTs}&to=${req.toTs}`);
      // Only clips overlapping the window and (when named) the cameras asked for.
      setClips(
        r.clips.filter(
          (c) => c.endTs >= req.fromTs && c.startTs <= req.toTs && (req.cameraIds.length === 0 || req.cameraIds.includes(c.cameraId)),
        ),
      );
    });
  const decide = (path: 'approve' | 'refuse', body: Record<string, unknown>) =>
    run(async () => {
      await post(`/api/requests/${encodeURIComponent(req.id)}/${path}`, body);
      props.onDone();
    });
  return (
    <li class="card request" data-request={req.id} data-status={req.status}>
      <h2>
        {req.crimeReference} · {req.offence}
      </h2>
      <dl>
        <dt>From</dt>
        <dd>
          {req.officerName} ({req.officerId}), {req.force}
        </dd>
        <dt>Footage asked for</dt>
        <dd>
          {formatTime(req.fromTs)} to {formatTime(req.toTs)}
          {req.cameraIds.length > 0 ? `, cameras: ${req.cameraIds.join(', ')}` : ', all cameras'}
        </dd>
        <dt>Why</dt>
        <dd>{req.reason}</dd>
        {pending && (
          <>
            <dt>Recorded footage in that time</dt>
            <dd>
              <Footage requestId={req.id} />
            </dd>
          </>
        )}
        <dt>Status</dt>
        <dd class={`status status-${req.status}`}>
          {STATUS_WORDS[req.status]}
          {req.decidedAt ? ` · ${formatTime(req.decidedAt)}` : ''}
        </dd>
        {req.export && (
          <>
            <dt>Package</dt>
            <dd>
              {req.export.state === 'ready'
                ? 'Ready for the officer'
                : req.export.state === 'failed'
                  ? 'Could not be made'
                  : req.export.phase === 'waiting'
                    ? `Made once the time asked for has passed (${formatTime(req.toTs)})`
                    : 'Being prepared…'}
            </dd>
          </>
        )}
      </dl>
      {pending && (
        <>
          <Field label="Note to the officer (optional)" value={note} onValue={setNote} />
          {clips && (
            <fieldset>
              <legend>Choose the clips to share</legend>
              {clips.length === 0 && <p class="muted">No clips in that time.</p>}
              {clips.map((c) => (
                <Check
                  key={c.id}
                  label={`${c.cameraName ?? c.cameraId} · ${formatTime(c.startTs)} (${Math.round((c.endTs - c.startTs) / 1000)} s, ${c.trigger})`}
                  checked={chosen.has(c.id)}
                  onValue={(v) => {
                    const next = new Set(chosen);
                    if (v) next.add(c.id);
                    else next.delete(c.id);
                    setChosen(next);
                  }}
                />
              ))}
            </fieldset>
          )}
          <ErrorText error={error} />
          <div class="actions">
            {clips ? (
              <button
                type="button"
                class="primary"
                disabled={busy || chosen.size === 0}
                onClick={() => decide('approve', { clipIds: [...chosen], ...(note ? { note } : {}) })}
              >
                Share {chosen.size} chosen clip{chosen.size === 1 ? '' : 's'}
              </button>
            ) : (
              <>
                <button type="button" class="primary" disabled={busy} onClick={() => decide('approve', note ? { note } : {})}>
                  Approve all
                </button>
                <button type="button" disabled={busy} onClick={pickPart}>
                  Approve part…
                </button>
              </>
            )}
            <button type="button" disabled={busy} onClick={() => decide('refuse', note ? { note } : {})}>
              Refuse
            </button>
          </div>
        </>
      )}
    </li>
  );
}

export function RequestsInbox() {
  const [requests, setRequests] = useState<PoliceRequestView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    get<{ requests: PoliceRequestView[] }>('/api/requests').then(
      (r) => setRequests(r.requests),
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);
  useLiveEvents(['request.'], load);
  const pending = (requests ?? []).filter((r) => r.status === 'pending');
  const decided = (requests ?? []).filter((r) => r.status !== 'pending');
  return (
    <>
      <h1 tabIndex={-1}>Police requests</h1>
      <p>Police see footage only if you say yes. You can share all of it, some clips, or none.</p>
      {pending.length > 0 && <UnlockCard />}
      <ErrorText error={error} />
      {requests && requests.length === 0 && <p class="muted">No requests.</p>}
      <ul class="plain" data-testid="requests">
        {[...pending, ...decided].map((r) => (
          <RequestCard key={r.id} req={r} onDone={load} />
        ))}
      </ul>
    </>
  );
}
