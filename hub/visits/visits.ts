/**
 * Grouping door activity into visits. Events (already passed through the policy by the caller)
 * and clips are sorted by time; a fact that starts within `gapMs` of the visit's last activity
 * joins it, otherwise it opens a new visit. A clip joins the visit its window overlaps (so a long
 * presence split into linked clips stays one visit).
 */
import type { VisitView } from '../api/visits.js';

/** What a visit is made of. */
export const VISIT_EVENTS = ['camera.doorbell', 'person.detected', 'sensor.opened', 'sensor.closed'] as const;

/** Activity closer than this belongs to the same visit. */
export const VISIT_GAP_MS = 60_000;

export interface VisitEvent {
  seq: number;
  ts: number;
  name: string;
  payload: Record<string, unknown>;
}

export interface VisitClip {
  id: string;
  cameraId: string;
  startTs: number;
  endTs: number;
  snapshotPath: string | null;
}

type Item = { kind: 'event'; ts: number; end: number; event: VisitEvent } | { kind: 'clip'; ts: number; end: number; clip: VisitClip };

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Visits, newest first. */
export function groupVisits(events: VisitEvent[], clips: VisitClip[], gapMs = VISIT_GAP_MS): VisitView[] {
  const items: Item[] = [
    ...events.map((e): Item => ({ kind: 'event', ts: e.ts, end: e.ts, event: e })),
    ...clips.map((c): Item => ({ kind: 'clip', ts: c.startTs, end: c.endTs, clip: c })),
  ].sort((a, b) => a.ts - b.ts || (a.kind === b.kind ? 0 : a.kind === 'event' ? -1 : 1));
  const visits: VisitView[] = [];
  let open: VisitView | null = null;
  for (const it of items) {
    if (!open || it.ts > open.endTs + gapMs) {
      open = {
        id: it.kind === 'event' ? `e${it.event.seq}` : `c${it.clip.id}`,
        startTs: it.ts,
        endTs: it.end,
        cameraIds: [],
        doorbellTs: [],
        persons: { count: 0, firstTs: null },
        sensors: [],
        clips: [],
        eventSeqs: [],
      };
      visits.push(open);
    }
    open.endTs = Math.max(open.endTs, it.end);
    if (it.kind === 'clip') {
      const c = it.clip;
      if (!open.cameraIds.includes(c.cameraId)) open.cameraIds.push(c.cameraId);
      open.clips.push({
        id: c.id,
        cameraId: c.cameraId,
        startTs: c.startTs,
        endTs: c.endTs,
        videoUrl: `/api/clips/${c.id}/video`,
        snapshotUrl: c.snapshotPath ? `/api/clips/${c.id}/snapshot` : null,
      });
      continue;
    }
    const e = it.event;
    open.eventSeqs.push(e.seq);
    const cameraId = str(e.payload.cameraId);
    if (cameraId && !open.cameraIds.includes(cameraId)) open.cameraIds.push(cameraId);
    if (e.name === 'camera.doorbell') open.doorbellTs.push(e.ts);
    else if (e.name === 'person.detected') {
      open.persons.count++;
      open.persons.firstTs ??= e.ts;
    } else if (e.name === 'sensor.opened') {
      const sensorId = str(e.payload.sensorId) ?? 'sensor';
      if (!open.sensors.some((s) => s.sensorId === sensorId))
        open.sensors.push({ sensorId, name: str(e.payload.name) ?? sensorId, ts: e.ts });
    }
  }
  return visits.reverse();
}
