/**
 * Police footage requests. Police submit and follow their own requests only: they never see
 * cameras, clips or anyone else's requests. The owner sees every request, the clips it would
 * release, and approves (all or chosen clips) or refuses. A pending or approved request holds its
 * footage so retention never deletes it; a refusal releases the hold.
 */
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../api/errors.js';
import type { Session } from '../auth/accounts.js';
import type { HubCore } from '../core.js';
import type { ExportRunner } from './export-runner.js';
import type { ExportRecord, ExportStore } from './exports-store.js';
import { planWindows } from './package-contents.js';
import type { PoliceRequest, RequestStore } from './requests-store.js';

const MAX_WINDOW_MS = 31 * 24 * 3600 * 1000;
const text = (max: number) => z.string().trim().min(1).max(max);

export const requestBody = z
  .strictObject({
    force: text(100),
    officerName: text(100),
    officerId: text(50),
    crimeReference: text(64),
    offence: text(200),
    fromTs: z.number().int().min(0),
    toTs: z.number().int().min(0),
    cameraIds: z.array(z.string().min(1).max(64)).max(32).default([]),
    reason: text(2000),
  })
  .refine((b) => b.toTs > b.fromTs, { message: 'toTs must be after fromTs', path: ['toTs'] })
  .refine((b) => b.toTs - b.fromTs <= MAX_WINDOW_MS, { message: 'the time window may be at most 31 days', path: ['toTs'] });

const idParams = z.strictObject({ id: z.string().uuid() });

export function exportView(e: ExportRecord | undefined) {
  if (!e) return null;
  return {
    exportId: e.id,
    state: e.state,
    phase: e.phase,
    done: e.done,
    total: e.total,
    size: e.size,
    sha256: e.sha256,
    error: e.error,
    createdAt: e.createdAt,
    finishedAt: e.finishedAt,
  };
}

/** What a police officer sees of their own request. */
function policeView(r: PoliceRequest, e: ExportRecord | undefined) {
  const { policeUserId: _p, decidedBy: _d, approvedClipIds, ...rest } = r;
  const ex = exportView(e);
  return {
    ...rest,
    clipCount: approvedClipIds?.length ?? null,
    // The zip's SHA-256 (also sent as X-Content-SHA256) so the officer can record it at download.
    export: ex && { state: ex.state, done: ex.done, total: ex.total, phase: ex.phase, size: ex.size, sha256: ex.sha256 },
  };
}

export function registerRequestRoutes(core: HubCore, requests: RequestStore, exports: ExportStore, runner: ExportRunner): void {
  const { http, audit, bus, footage } = core;

  /** Police reach only their own requests; anything else is "not found", so ids leak nothing. */
  const visible = async (id: string, session: Session): Promise<PoliceRequest> => {
    const r = await requests.get(id);
    if (!r || (session.user.role === 'police' && r.policeUserId !== session.user.id)) throw new NotFoundError(`request ${id}`);
    return r;
  };

  const releaseHolds = async (requestId: string, actor: string) => {
    const holds = (await footage.activeHolds()).filter((h) => h.kind === 'police_request' && h.refId === requestId);
    for (const h of holds) await footage.releaseHold(h.id);
    await audit.append({ action: 'hold.released', actor, subject: { requestId, holdIds: holds.map((h) => h.id) } });
  };

  http.route({
    method: 'POST',
    url: '/api/requests',
    access: { roles: ['police'] },
    body: requestBody,
    handler: async ({ body, session }) => {
      const unknown = body.cameraIds.filter((id) => !core.devices.camera(id));
      if (unknown.length > 0)
        throw new ValidationError(`cameraIds: no camera "${unknown[0]}" in this home`, { field: 'cameraIds', unknown });
      const r = await requests.create(session.user.id, body);
      await audit.append({
        action: 'request.created',
        actor: session.user.id,
        subject: {
          requestId: r.id,
          force: r.force,
          officerName: r.officerName,
          officerId: r.officerId,
          crimeReference: r.crimeReference,
          offence: r.offence,
          fromTs: r.fromTs,
          toTs: r.toTs,
          cameraIds: r.cameraIds,
          reason: r.reason,
        },
      });
      const cams: Array<string | null> = r.cameraIds.length > 0 ? r.cameraIds : [null];
      const holds = [];
      for (const cameraId of cams) {
        holds.push(
          await footage.addHold({
            kind: 'police_request',
            reason: `police request ${r.crimeReference}`,
            cameraId,
            fromTs: r.fromTs,
            toTs: r.toTs,
            refId: r.id,
          }),
        );
      }
      await audit.append({
        action: 'hold.added',
        actor: 'system',
        subject: { requestId: r.id, holdIds: holds.map((h) => h.id), cameraIds: cams, fromTs: r.fromTs, toTs: r.toTs },
      });
      bus.emit('request.created', { source: 'evidence', requestId: r.id });
      return { request: policeView(r, undefined) };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/requests',
    access: { roles: ['owner', 'police'] },
    handler: async ({ session }) => {
      const police = session.user.role === 'police';
      const list = await requests.list(police ? session.user.id : undefined);
      const out = [];
      for (const r of list) {
        const e = await exports.latest(r.id);
        out.push(police ? policeView(r, e) : { ...r, export: exportView(e) });
      }
      return { requests: out };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/requests/:id',
    access: { roles: ['owner', 'police'] },
    params: idParams,
    handler: async ({ params, session }) => {
      const r = await visible(params.id, session);
      const e = await exports.latest(r.id);
      if (session.user.role === 'police') return { request: policeView(r, e) };
      // The owner decides with the footage in front of her: every clip the request would release.
      const clips = await footage.clips({ ...(r.cameraIds.length > 0 ? { cameraIds: r.cameraIds } : {}), fromTs: r.fromTs, toTs: r.toTs });
      return {
        request: { ...r, export: exportView(e) },
        // What recorded footage exists for the window, per camera, with its gaps and why.
        footage: (await planWindows(core, r)).map((w) => ({
          cameraId: w.cameraId,
          cameraName: w.cameraName,
          windowMs: w.toTs - w.fromTs,
          recordedMs: w.coveredMs,
          gaps: w.gaps,
        })),
        clips: clips.map((c) => ({
          id: c.id,
          cameraId: c.cameraId,
          cameraName: core.devices.camera(c.cameraId)?.name ?? c.cameraId,
          trigger: c.trigger,
          startTs: c.startTs,
          endTs: c.endTs,
          size: c.size,
          sha256: c.sha256,
          hasSnapshot: c.snapshotPath !== null,
        })),
      };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/requests/:id/approve',
    access: { roles: ['owner'] },
    params: idParams,
    body: z.strictObject({
      note: z.string().trim().max(2000).optional(),
      clipIds: z.array(z.string().min(1).max(64)).min(1).max(1000).optional(),
    }),
    handler: async ({ params, body, session }) => {
      const r = await visible(params.id, session);
      if (r.status !== 'pending') throw new ConflictError(`request ${r.id} was already ${r.status}`);
      let clipIds: string[] | null = null;
      if (body.clipIds) {
        const inWindow = new Set((await runner.clipsFor({ ...r, approvedClipIds: null })).map((c) => c.id));
        const outside = body.clipIds.filter((id) => !inWindow.has(id));
        if (outside.length > 0)
          throw new ValidationError(`clipIds: clip "${outside[0]}" is not footage this request covers`, { field: 'clipIds', outside });
        clipIds = [...new Set(body.clipIds)];
      }
      const status = clipIds === null ? 'approved' : 'partial';
      // Before the decision is stored: without the owner's key (and the hub key it opens) the
      // package could not be made or signed, so the app asks her to unlock first.
      const keys = await runner.takeKeys(r);
      if (!(await requests.decide(r.id, { status, clipIds, note: body.note ?? null, by: session.user.id }))) {
        throw new ConflictError(`request ${r.id} was decided meanwhile`);
      }
      await audit.append({
        action: status === 'approved' ? 'request.approved' : 'request.approved_part',
        actor: session.user.id,
        subject: { requestId: r.id, decision: status, note: body.note ?? null, clipIds },
      });
      bus.emit('request.decided', { source: 'evidence', requestId: r.id, decision: status });
      const decided = (await requests.get(r.id)) as PoliceRequest;
      const e = await runner.start(decided, session.user.id, keys);
      return { request: { ...decided, export: exportView(e) } };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/requests/:id/refuse',
    access: { roles: ['owner'] },
    params: idParams,
    body: z.strictObject({ note: z.string().trim().max(2000).optional() }),
    handler: async ({ params, body, session }) => {
      const r = await visible(params.id, session);
      if (r.status !== 'pending') throw new ConflictError(`request ${r.id} was already ${r.status}`);
      if (!(await requests.decide(r.id, { status: 'refused', clipIds: null, note: body.note ?? null, by: session.user.id }))) {
        throw new ConflictError(`request ${r.id} was decided meanwhile`);
      }
      await audit.append({
        action: 'request.refused',
        actor: session.user.id,
        subject: { requestId: r.id, decision: 'refused', note: body.note ?? null },
      });
      await releaseHolds(r.id, session.user.id);
      bus.emit('request.decided', { source: 'evidence', requestId: r.id, decision: 'refused' });
      return { request: await requests.get(r.id) };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/requests/:id/export',
    access: { roles: ['owner', 'police'] },
    params: idParams,
    handler: async ({ params, session }) => {
      const r = await visible(params.id, session);
      const e = exportView(await exports.latest(r.id));
      if (!e) throw new NotFoundError(`an export for request ${r.id}`);
      return session.user.role === 'police'
        ? { state: e.state, phase: e.phase, done: e.done, total: e.total, size: e.size, sha256: e.sha256 }
        : e;
    },
  });

  http.route({
    method: 'POST',
    url: '/api/requests/:id/export',
    access: { roles: ['owner'] },
    params: idParams,
    handler: async ({ params, session }) => {
      const r = await visible(params.id, session);
      if (r.status !== 'approved' && r.status !== 'partial') throw new ConflictError(`request ${r.id} is ${r.status}, not approved`);
      const last = await exports.latest(r.id);
      if (last?.state === 'running') throw new ConflictError('an export of this request is already running');
      return exportView(await runner.start(r, session.user.id));
    },
  });
}
