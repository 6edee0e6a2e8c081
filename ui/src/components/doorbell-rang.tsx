/**
 * "Someone rang the doorbell": a card that appears the moment the doorbell is pressed (live) and
 * stays, with the time, until a newer press replaces it. Person detections that follow do not
 * push it away. The last press comes from the visits, so it is there after a reload too.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useLiveEvents } from '../live.js';
import { formatTime } from './form.js';
import type { VisitView } from './visits.js';

/** Highlighted for this long after the press; after that it is a plain line. */
const FRESH_MS = 15 * 60_000;

export function DoorbellRang({ visits, action }: { visits: VisitView[] | null; action?: ComponentChildren }) {
  const [live, setLive] = useState<number | null>(null);
  useLiveEvents(['camera.doorbell'], (_name, event) => setLive(event.ts));
  const stored = (visits ?? []).flatMap((v) => v.doorbellTs).reduce<number | null>((a, b) => (a === null || b > a ? b : a), null);
  const last = live !== null && (stored === null || live > stored) ? live : stored;
  if (last === null) return null;
  const fresh = Date.now() - last < FRESH_MS;
  return (
    <section
      class={`card${fresh ? ' doorbell-rang' : ''}`}
      aria-labelledby="rang-h"
      data-testid="doorbell-rang"
      data-ts={String(last)}
      role={fresh ? 'status' : undefined}
    >
      <h2 id="rang-h">{fresh ? 'Someone rang the doorbell' : 'Doorbell'}</h2>
      <p>
        {fresh ? 'It rang at ' : 'It last rang at '}
        <time dateTime={new Date(last).toISOString()}>{formatTime(last)}</time>.
      </p>
      {action}
    </section>
  );
}
