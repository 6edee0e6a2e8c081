/**
 * What happened, newest first: door activity as visits (one row each, with its still and clip
 * played in place), and the alarm's own events between them. Live events arrive on top.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf } from '../../api.js';
import { eventWords } from '../../components/alarm-words.js';
import { ErrorText, formatTime } from '../../components/form.js';
import { UnlockCard } from '../../components/unlock-card.js';
import { useVisits, VisitRow, type VisitView } from '../../components/visits.js';
import { useLiveEvents } from '../../live.js';
import type { HubEventRow } from '../../view-types.js';

/** Shown as visits, not as lines of their own. */
const DOOR = new Set(['camera.doorbell', 'person.detected', 'sensor.opened', 'sensor.closed', 'clip.saved']);

interface Line {
  key: string;
  ts: number;
  words: string;
}

type Row = { kind: 'visit'; ts: number; visit: VisitView } | { kind: 'line'; ts: number; line: Line };

function toLine(key: string, name: string, ts: number, p: Record<string, unknown>): Line | null {
  if (DOOR.has(name)) return null;
  const words = eventWords(name, p);
  return words ? { key, ts, words } : null;
}

export function TimelinePage() {
  const [lines, setLines] = useState<Line[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(30);
  const { visits, error: visitsError } = useVisits(more);
  const load = useCallback(() => {
    get<{ events: HubEventRow[] }>('/api/events?limit=300').then(
      (r) =>
        setLines(
          r.events
            .map((e) => toLine(String(e.seq), e.name, e.ts, (e.payload ?? {}) as Record<string, unknown>))
            .filter((x): x is Line => x !== null),
        ),
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);
  useLiveEvents(['alarm.', 'camera.', 'panic', 'siren.', 'request.', 'smartwater.used', 'sensor.'], (name, event) => {
    const line = toLine(`live-${event.correlationId}-${name}-${event.ts}`, name, event.ts, event as unknown as Record<string, unknown>);
    if (line) setLines((prev) => [line, ...(prev ?? [])]);
  });
  const oldestVisit = visits && visits.length > 0 ? (visits[visits.length - 1]?.startTs ?? 0) : 0;
  const rows: Row[] = [
    ...(visits ?? []).map((v): Row => ({ kind: 'visit', ts: v.startTs, visit: v })),
    // Alarm lines as far back as the visits shown (older ones come with "Show older").
    ...(lines ?? [])
      .filter((l) => visits === null || visits.length < more || l.ts >= oldestVisit)
      .map((l): Row => ({ kind: 'line', ts: l.ts, line: l })),
  ].sort((a, b) => b.ts - a.ts);
  return (
    <>
      <h1 tabIndex={-1}>Timeline</h1>
      <UnlockCard />
      <ErrorText error={error ?? (visitsError ? messageOf(visitsError) : null)} />
      {visits && lines && rows.length === 0 && <p class="muted">Nothing has happened yet.</p>}
      <ol class="timeline" data-testid="timeline">
        {rows.map((r) =>
          r.kind === 'visit' ? (
            <li key={`v-${r.visit.id}`} class="visit-row">
              <VisitRow visit={r.visit} />
            </li>
          ) : (
            <li key={r.line.key}>
              <time dateTime={new Date(r.ts).toISOString()}>{formatTime(r.ts)}</time>
              <span>{r.line.words}</span>
            </li>
          ),
        )}
      </ol>
      {visits && visits.length >= more && (
        <button type="button" onClick={() => setMore((m) => m + 30)}>
          Show older
        </button>
      )}
    </>
  );
}
