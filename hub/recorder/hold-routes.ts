/**
 * The owner's evidence holds: which kinds of event hold their clips by default, the holds in
 * force, and releasing one. Owner-only and audited. Police-request holds are released through
 * the request (refusing it), not here. Holds made for a silent fact (a duress PIN, the clip of a
 * covert panic) are left out of the listing, as the visibility policy says: someone standing
 * next to the victim may be looking. The evidence export keeps them.
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
  const visible = async (h: { refId: string | null }): Promise<boolean> => {
    if (h.refId?.startsWith(SILENT_REF)) return false;
    const clip = h.refId ? await core.footage.clip(h.refId) : undefined;
    return !clip || core.policy.mayShowClip('owner_app', clip);
  };

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
    handler: async () => {
      const shown = [];
      for (const h of await core.footage.activeHolds()) if (await visible(h)) shown.push(h);
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
      // A silent fact's hold is "not found" here, like in the list.
      if (!hold || hold.releasedAt !== null || !(await visible(hold))) throw new NotFoundError(`hold ${params.id}`);
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
        },
      });
      return { released: hold.id };
    },
  });
}
