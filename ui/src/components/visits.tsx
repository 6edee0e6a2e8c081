/**
 * Visits (`GET /api/visits`): one row per visit with its still, what happened in plain words and
 * its clip played from the row. The hub built each visit from what the policy lets this screen
 * show; nothing is filtered here.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { VisitView } from '../../../hub/api/visits.js';
import { get } from '../api.js';
import { checkMedia, focusUnlock, useFootageLock } from '../footage-lock.js';
import { useLiveEvents } from '../live.js';
import { formatTime } from './form.js';

export type { VisitView } from '../../../hub/api/visits.js';

/** "Doorbell rang · a person seen · Front door opened". */
export function visitWords(v: VisitView): string {
  const parts: string[] = [];
  if (v.doorbellTs.length > 0) parts.push(v.doorbellTs.length > 1 ? `Doorbell rang ${v.doorbellTs.length} times` : 'Doorbell rang');
  if (v.persons.count > 0) parts.push('someone at the door');
  for (const s of v.sensors) parts.push(`${s.name} opened`);
  if (parts.length === 0) parts.push(v.clips.length > 0 ? 'Clip kept' : 'Activity');
  const line = parts.join(' · ');
  return line.charAt(0).toUpperCase() + line.slice(1);
}

function minutes(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.round(s / 60)} min`;
}

export function VisitRow({ visit }: { visit: VisitView }) {
  const [playing, setPlaying] = useState<number | null>(null);
  const { locked, generation } = useFootageLock();
  const first = visit.clips[0];
  const clip = playing !== null ? visit.clips[playing] : null;
  const video = useRef<HTMLVideoElement>(null);
  return (
    <div class={`visit${clip && !locked ? ' playing' : ''}`} data-testid="visit" data-visit={visit.id}>
      {first && locked ? (
        // Footage is locked: no request that would fail; the still sends her to the unlock card,
        // and the clip she asked for plays once it is unlocked.
        <button
          type="button"
          class="clip-still locked"
          data-testid="clip-locked"
          onClick={() => {
            setPlaying((p) => p ?? 0);
            focusUnlock();
          }}
          aria-label="Clip locked: type your password above to play it"
        >
          <span class="no-still">Locked</span>
        </button>
      ) : clip ? (
        // biome-ignore lint/a11y/useMediaCaption: camera footage has no speech track to caption
        <video
          key={`${clip.id}-${generation}`}
          ref={video}
          class="clip"
          src={clip.videoUrl}
          controls
          autoPlay
          playsInline
          preload="metadata"
          data-testid="clip-video"
          onError={() => void checkMedia(clip.videoUrl)}
          onEnded={() => {
            // A long visit is several linked clips: play on into the next one.
            if (playing !== null && playing + 1 < visit.clips.length) setPlaying(playing + 1);
          }}
        />
      ) : first ? (
        <button type="button" class="clip-still" onClick={() => setPlaying(0)} aria-label="Play clip">
          {first.snapshotUrl ? (
            <img
              key={generation}
              src={first.snapshotUrl}
              alt="Still from the clip"
              loading="lazy"
              onError={() => {
                if (first.snapshotUrl) void checkMedia(first.snapshotUrl);
              }}
            />
          ) : (
            <span class="no-still">Clip</span>
          )}
          <span class="play" aria-hidden="true">
            ▶
          </span>
        </button>
      ) : (
        <span class="clip-still no-clip" aria-hidden="true">
          <span class="no-still">No clip</span>
        </span>
      )}
      <span class="visit-words">
        <strong>{visitWords(visit)}</strong>
        <span class="muted">
          <time dateTime={new Date(visit.startTs).toISOString()}>{formatTime(visit.startTs)}</time>
          {visit.endTs - visit.startTs >= 1000 && ` · ${minutes(visit.endTs - visit.startTs)}`}
          {visit.clips.length > 1 && ` · ${visit.clips.length} clips`}
        </span>
      </span>
    </div>
  );
}

const VISIT_LIVE = ['camera.doorbell', 'person.detected', 'sensor.opened', 'clip.saved'];

/** The newest visits, refreshed (at most once a second) while door activity arrives live. */
export function useVisits(limit: number, query = ''): { visits: VisitView[] | null; error: unknown; reload: () => void } {
  const [visits, setVisits] = useState<VisitView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const load = useCallback(() => {
    get<{ visits: VisitView[] }>(`/api/visits?limit=${limit}${query}`).then(
      (r) => {
        setVisits(r.visits);
        setError(null);
      },
      (err: unknown) => setError(err),
    );
  }, [limit, query]);
  useEffect(() => {
    load();
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [load]);
  useLiveEvents(VISIT_LIVE, () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      load();
    }, 1000);
  });
  return { visits, error, reload: load };
}
