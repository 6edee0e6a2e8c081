/**
 * The owner's evidence holds: which kinds of event hold their clips by default, the holds in
 * force, and releasing one. Owner-only and audited. Police-request holds are released through
 * the request (refusing it), not here. Holds made for a duress PIN are left out of the listing
 * unless `includeSilent=true`: someone standing next to the victim may be looking.
 */
import { z } from 'zod';
import { HubError, NotFoundError } from '../api/errors.js';
import type { HubCore } from '../core.js';
import { type ClipIntentStore, HELD_KINDS, type HeldKind } from './clip-intents.js';

/** Hold `ref_id` prefix for holds nothing on screen may show (duress). */
export const SILENT_REF = 'silent:';

export function registerHoldRoutes(core: HubCore, intents: ClipIntentStore, changed: (kinds: HeldKind[]) => void): void {
  const { http } = core;
  const kindSchema = z.enum(HELD_KINDS as [HeldKind, ...HeldKind[]]);

  http.route({
    method: 'GET',
    url: '/api/recorder/default-holds',
    access: { roles: ['owner'] },
    handler: async () => ({ kinds: await intents.heldKinds(), available: HELD_KINDS }),
  });

  http.route({
    method: 'PUT',
    url: '/api/recorder/default-holds',
    access: { roles: ['owner'] },
    body: z.strictObject({ kinds: z.array(kindSchema).max(HELD_KINDS.length) }),
    handler: async ({ body, session }) => {
      const kinds = [...new Set(body.kinds)];
      await intents.setHeldKinds(kinds, session.user.id);
      changed(kinds);
      await core.audit.append({ action: 'recorder.default_holds_changed', actor: session.user.id, subject: { kinds } });
      return { kinds };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/holds',
    access: { roles: ['owner'] },
    query: z.strictObject({ includeSilent: z.enum(['true', 'false']).default('false') }),
    handler: async ({ query }) => {
      const holds = await core.footage.activeHolds();
      const shown = query.includeSilent === 'true' ? holds : holds.filter((h) => !h.refId?.startsWith(SILENT_REF));
      return { holds: shown };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/holds/:id/release',
    access: { roles: ['owner'] },
    params: z.strictObject({ id: z.string().uuid() }),
    handler: async ({ params, session }) => {
      const hold = await core.footage.hold(params.id);
      if (!hold || hold.releasedAt !== null) throw new NotFoundError(`hold ${params.id}`);
      if (hold.kind === 'police_request') {
        throw new HubError('HUB_ERR_CONFLICT', 'this hold belongs to a police request: refuse or complete the request to release it');
      }
      await core.footage.releaseHold(hold.id);
      await core.audit.append({
        action: 'hold.released',
        actor: session.user.id,
        subject: {
          holdId: hold.id,
          kind: hold.kind,
          cameraId: hold.cameraId,
          fromTs: hold.fromTs,
          toTs: hold.toTs,
          reason: hold.reason,
          ...(hold.refId?.startsWith(SILENT_REF) ? { duress: true } : {}),
        },
      });
      return { released: hold.id };
    },
  });
}
