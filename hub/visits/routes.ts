/**
 * `GET /api/visits`: the owner's door activity as visits. Every event and clip is asked of the
 * policy for the caller's surface first (a silent panic's clip or a hidden fact never shapes a
 * visit); `for=incident-log` also keeps only what may go into an incident log.
 */
import { z } from 'zod';
import type { HubCore } from '../core.js';
import { groupVisits, VISIT_EVENTS, VISIT_GAP_MS, type VisitEvent } from './visits.js';

/** How far back one page of visits looks for its events. */
const WINDOW_EVENTS = 5000;

export function registerVisitRoutes(core: HubCore): void {
  core.http.route({
    method: 'GET',
    url: '/api/visits',
    access: { roles: ['owner'], scope: 'events:read' },
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(200).default(30),
      /** Only visits that started before this time (the next page: the oldest visit's start). */
      before: z.coerce.number().int().optional(),
      for: z.enum(['incident-log']).optional(),
    }),
    handler: async ({ query, session }) => {
      await core.eventLog.flush();
      const surface = core.policy.surfaceFor(session);
      const forLog = query.for === 'incident-log';
      const to = query.before !== undefined ? query.before - 1 : Number.MAX_SAFE_INTEGER;
      const stored = await core.eventLog.query({ names: [...VISIT_EVENTS], to, limit: WINDOW_EVENTS });
      const events: VisitEvent[] = stored
        .filter(
          (e) => core.policy.mayShow(surface, e.name, e.payload) && (!forLog || core.policy.mayShow('advocate_log', e.name, e.payload)),
        )
        .map((e) => ({ seq: e.seq, ts: e.ts, name: e.name, payload: (e.payload ?? {}) as unknown as Record<string, unknown> }));
      const oldest = events.length > 0 ? Math.min(...events.map((e) => e.ts)) : Number.MAX_SAFE_INTEGER;
      // Clips from the oldest event on (a page cut short by the event limit keeps its clips too).
      const fromTs = stored.length >= WINDOW_EVENTS ? oldest - VISIT_GAP_MS : 0;
      const clips = (await core.footage.clips({ fromTs, toTs: to }))
        .filter((c) => c.startTs <= to)
        .filter((c) => core.policy.mayShowClip(surface, c) && (!forLog || core.policy.mayShowClip('advocate_log', c)));
      let visits = groupVisits(events, clips);
      // The oldest visit of a full window may be cut short: leave it for the next page.
      if (stored.length >= WINDOW_EVENTS) visits = visits.filter((v) => v.startTs > oldest + VISIT_GAP_MS);
      const page = visits.slice(0, query.limit);
      const last = page[page.length - 1];
      return { visits: page, nextBefore: visits.length > query.limit && last ? last.startTs : null };
    },
  });
}
