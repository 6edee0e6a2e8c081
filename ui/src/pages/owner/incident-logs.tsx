/** Incident logs: the victim picks events, makes a log, and may share it with an advocate. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf, post } from '../../api.js';
import { eventWords } from '../../components/alarm-words.js';
import { Check, ErrorText, Field, formatTime, Notice, useAction } from '../../components/form.js';
import { UnlockCard } from '../../components/unlock-card.js';
import { useVisits, visitWords } from '../../components/visits.js';
import { guardLockedLink } from '../../footage-lock.js';
import type { HubEventRow, IncidentLogView } from '../../view-types.js';

/** Door activity is picked as whole visits, not one detection at a time. */
const DOOR = new Set(['camera.doorbell', 'person.detected', 'sensor.opened', 'sensor.closed', 'clip.saved']);

interface Person {
  id: string;
  role: string;
  displayName: string;
  disabled: boolean;
}

export function IncidentLogsPage() {
  const [logs, setLogs] = useState<IncidentLogView[] | null>(null);
  const [events, setEvents] = useState<Array<HubEventRow & { words: string }>>([]);
  const [advocates, setAdvocates] = useState<Person[]>([]);
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const [shareWith, setShareWith] = useState<Set<string>>(new Set());
  const [title, setTitle] = useState('');
  const [made, setMade] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const { visits } = useVisits(100, '&for=incident-log');
  const load = useCallback(() => {
    get<{ logs: IncidentLogView[] }>('/api/incident-logs').then(
      (r) => setLogs(r.logs),
      (err: unknown) => setLoadError(messageOf(err)),
    );
  }, []);
  useEffect(() => {
    load();
    get<{ events: HubEventRow[] }>('/api/events?limit=200&for=incident-log').then(
      (r) =>
        setEvents(
          r.events.flatMap((e) => {
            if (DOOR.has(e.name)) return [];
            const words = eventWords(e.name, (e.payload ?? {}) as Record<string, unknown>);
            return words ? [{ ...e, words }] : [];
          }),
        ),
      (err: unknown) => setLoadError(messageOf(err)),
    );
    get<{ users: Person[] }>('/api/users').then(
      (r) => setAdvocates(r.users.filter((u) => u.role === 'advocate' && !u.disabled)),
      (err: unknown) => setLoadError(messageOf(err)),
    );
  }, [load]);
  const toggle = <T,>(set: Set<T>, v: T, on: boolean) => {
    const next = new Set(set);
    if (on) next.add(v);
    else next.delete(v);
    return next;
  };
  return (
    <>
      <h1 tabIndex={-1}>Incident logs</h1>
      <p>Make a record of what happened to take to court or to share with your advocate.</p>
      <ErrorText error={loadError} />
      <UnlockCard />
      <section class="card" aria-labelledby="logs-h">
        <h2 id="logs-h">Your logs</h2>
        {logs && logs.length === 0 && <p class="muted">No logs yet.</p>}
        <ul class="rows" data-testid="incident-logs">
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
      </section>
      <form
        class="card"
        aria-labelledby="new-log-h"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await post('/api/incident-logs', { title, eventSeqs: [...picked], advocateIds: [...shareWith] });
            setMade(`"${title}" is ready${shareWith.size ? ' and shared' : ''}.`);
            setTitle('');
            setPicked(new Set());
            setShareWith(new Set());
            load();
          });
        }}
      >
        <h2 id="new-log-h">Make a new log</h2>
        <Field label="Title" value={title} onValue={setTitle} required />
        <fieldset class="pick-list">
          <legend>Visits and events to include ({picked.size} events chosen)</legend>
          {events.length === 0 && (visits ?? []).length === 0 && <p class="muted">No events yet.</p>}
          {(visits ?? [])
            .filter((v) => v.eventSeqs.length > 0)
            .map((v) => (
              <Check
                key={`visit-${v.id}`}
                label={`${formatTime(v.startTs)} · Visit: ${visitWords(v)}`}
                checked={v.eventSeqs.every((q) => picked.has(q))}
                onValue={(on) => {
                  const next = new Set(picked);
                  for (const q of v.eventSeqs) on ? next.add(q) : next.delete(q);
                  setPicked(next);
                }}
              />
            ))}
          {events.map((e) => (
            <Check
              key={e.seq}
              label={`${formatTime(e.ts)} · ${e.words}`}
              checked={picked.has(e.seq)}
              onValue={(v) => setPicked(toggle(picked, e.seq, v))}
            />
          ))}
        </fieldset>
        {advocates.length > 0 && (
          <fieldset>
            <legend>Share with</legend>
            {advocates.map((a) => (
              <Check
                key={a.id}
                label={a.displayName}
                checked={shareWith.has(a.id)}
                onValue={(v) => setShareWith(toggle(shareWith, a.id, v))}
              />
            ))}
          </fieldset>
        )}
        <ErrorText error={error} />
        {made && <Notice>{made}</Notice>}
        <button type="submit" class="primary" disabled={busy || picked.size === 0}>
          Make the log
        </button>
      </form>
    </>
  );
}
