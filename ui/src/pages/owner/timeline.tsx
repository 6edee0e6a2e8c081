/** What happened, newest first, with clip stills that play in place. Live events arrive on top. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf } from '../../api.js';
import { eventWords } from '../../components/alarm-words.js';
import { ErrorText, formatTime } from '../../components/form.js';
import { useLiveEvents } from '../../live.js';
import type { HubEventRow } from '../../view-types.js';

interface Item {
  key: string;
  ts: number;
  words: string;
  clipId: string | null;
  hasStill: boolean;
}

function toItem(seqOrKey: string, name: string, ts: number, p: Record<string, unknown>): Item | null {
  const words = eventWords(name, p);
  if (!words) return null;
  const clipId = name === 'clip.saved' && typeof p.clipId === 'string' ? p.clipId : null;
  return { key: seqOrKey, ts, words, clipId, hasStill: typeof p.snapshotSha256 === 'string' };
}

function Clip({ id, hasStill }: { id: string; hasStill: boolean }) {
  const [play, setPlay] = useState(false);
  const base = `/api/clips/${encodeURIComponent(id)}`;
  return play ? (
    // biome-ignore lint/a11y/useMediaCaption: camera footage has no speech track to caption
    <video class="clip" src={`${base}/video`} controls autoPlay playsInline preload="metadata" data-testid="clip-video" />
  ) : (
    <button type="button" class="clip-still" onClick={() => setPlay(true)} aria-label="Play clip">
      {hasStill ? <img src={`${base}/snapshot`} alt="Still from the clip" loading="lazy" /> : <span class="no-still">Clip</span>}
      <span class="play" aria-hidden="true">
        ▶
      </span>
    </button>
  );
}

export function TimelinePage() {
  const [items, setItems] = useState<Item[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [oldest, setOldest] = useState<number | null>(null);
  const load = useCallback((beforeSeq: number | null) => {
    get<{ events: HubEventRow[] }>(`/api/events?limit=100${beforeSeq ? `&beforeSeq=${beforeSeq}` : ''}`).then(
      (r) => {
        const more = r.events
          .map((e) => toItem(String(e.seq), e.name, e.ts, (e.payload ?? {}) as Record<string, unknown>))
          .filter((x): x is Item => x !== null);
        setItems((prev) => (beforeSeq && prev ? [...prev, ...more] : more));
        const last = r.events[r.events.length - 1];
        setOldest(r.events.length === 100 && last ? last.seq : null);
      },
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(() => load(null), [load]);
  useLiveEvents(
    ['sensor.', 'alarm.', 'camera.', 'person.detected', 'panic', 'clip.saved', 'siren.', 'request.', 'smartwater.used'],
    (name, event) => {
      const item = toItem(`live-${event.correlationId}-${name}-${event.ts}`, name, event.ts, event as unknown as Record<string, unknown>);
      if (item) setItems((prev) => [item, ...(prev ?? [])]);
    },
  );
  return (
    <>
      <h1 tabIndex={-1}>Timeline</h1>
      <ErrorText error={error} />
      {items && items.length === 0 && <p class="muted">Nothing has happened yet.</p>}
      <ol class="timeline" data-testid="timeline">
        {(items ?? []).map((it) => (
          <li key={it.key}>
            <time dateTime={new Date(it.ts).toISOString()}>{formatTime(it.ts)}</time>
            <span>{it.words}</span>
            {it.clipId && <Clip id={it.clipId} hasStill={it.hasStill} />}
          </li>
        ))}
      </ol>
      {oldest && (
        <button type="button" onClick={() => load(oldest)}>
          Show older
        </button>
      )}
    </>
  );
}
