/**
 * The owner's devices and notifications: the hub's public VAPID key (the browser needs it to
 * subscribe), subscribe / list / rename-discreet / remove, and the answer to an "ask me first"
 * notification given from its buttons on the lock screen.
 *
 * Why the answer route is not a signed-in route: on a locked phone the service worker answers
 * for her, possibly long after her session expired, and it sends no cookie (the hub's cookies are
 * SameSite=Strict and CSRF-checked). It proves instead: (1) a one-time token, 256 random bits
 * that were in that notification only, stored as a hash, bound to one alert and one device,
 * spent on first use and void once the question can no longer be answered or the device is
 * removed; and (2) the device's own push endpoint, which the browser keeps and which is not in the
 * notification. A notification copied off the screen, or a token replayed, is refused.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Outbox } from '../alerts/outbox.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import type { HubCore } from '../core.js';
import { hashToken } from './notifier.js';
import type { PushStore, SubscriptionRow } from './push-store.js';

const b64url = (bytes: number, what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `${what} must be base64url`)
    .refine((v) => Buffer.from(v, 'base64url').length === bytes, `${what} must be ${bytes} bytes`);

const subscribeBody = z.strictObject({
  endpoint: z
    .string()
    .max(2048)
    .url()
    // The push service must be reached over TLS: the endpoint is where her notifications go.
    .refine((u) => u.startsWith('https://'), 'the push endpoint must be an https:// address'),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: b64url(65, 'keys.p256dh').refine(
      (v) => Buffer.from(v, 'base64url')[0] === 4,
      'keys.p256dh must be an uncompressed P-256 point',
    ),
    auth: b64url(16, 'keys.auth'),
  }),
  device: z.string().trim().min(1).max(80).optional(),
  discreet: z.boolean().default(true),
});

export interface SubscriptionView {
  id: string;
  device: string;
  createdAt: number;
  lastDeliveredAt: number | null;
  discreet: boolean;
}

function view(s: SubscriptionRow): SubscriptionView {
  return { id: s.id, device: s.device, createdAt: s.created_at, lastDeliveredAt: s.last_ok_at, discreet: s.discreet === 1 };
}

/** "Chrome on Android", "Safari on iPhone": enough to tell her devices apart, nothing more. */
export function deviceName(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  const os = /iPhone|iPad/.test(ua)
    ? 'iPhone or iPad'
    : /Android/.test(ua)
      ? 'Android'
      : /Mac OS X/.test(ua)
        ? 'Mac'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'a device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\/|Chromium\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'a browser';
  return `${browser} on ${os}`;
}

export function registerPushRoutes(
  core: HubCore,
  d: { store: PushStore; publicKey: string; outbox: () => Outbox | null; log: Logger },
): void {
  const { store } = d;
  const now = () => core.clock.now();

  core.http.route({
    method: 'GET',
    url: '/api/push/key',
    access: { roles: ['owner'] },
    handler: () => ({ publicKey: d.publicKey }),
  });

  core.http.route({
    method: 'GET',
    url: '/api/push/subscriptions',
    access: { roles: ['owner'] },
    handler: async ({ session }) => ({ subscriptions: (await store.active(session.user.id)).map(view) }),
  });

  core.http.route({
    method: 'POST',
    url: '/api/push/subscriptions',
    access: { roles: ['owner'] },
    bodyLimit: 8 * 1024,
    body: subscribeBody,
    handler: async ({ body, session, req }) => {
      const s = await store.upsertSubscription({
        id: randomUUID(),
        user_id: session.user.id,
        endpoint: body.endpoint,
        p256dh: body.keys.p256dh,
        auth: body.keys.auth,
        device: body.device ?? deviceName(req.headers['user-agent']),
        discreet: body.discreet ? 1 : 0,
        created_at: now(),
      });
      // The endpoint is a capability at the push service: never logged, never audited.
      await core.audit.append({ action: 'push.subscribed', actor: session.user.id, subject: { subscriptionId: s.id, device: s.device } });
      d.log.info({ subscriptionId: s.id, device: s.device }, 'device subscribed to notifications');
      return view(s);
    },
  });

  const idParams = z.strictObject({ id: z.string().uuid() });
  const mine = async (id: string, userId: string) => {
    const s = await store.subscription(id);
    if (!s || s.removed_at !== null || s.user_id !== userId) throw new NotFoundError('that device');
    return s;
  };

  core.http.route({
    method: 'PUT',
    url: '/api/push/subscriptions/:id',
    access: { roles: ['owner'] },
    params: idParams,
    body: z.strictObject({ discreet: z.boolean() }),
    handler: async ({ params, body, session }) => {
      await mine(params.id, session.user.id);
      await store.setDiscreet(params.id, body.discreet);
      return view((await store.subscription(params.id)) as SubscriptionRow);
    },
  });

  core.http.route({
    method: 'DELETE',
    url: '/api/push/subscriptions/:id',
    access: { roles: ['owner'] },
    params: idParams,
    handler: async ({ params, session }) => {
      const s = await mine(params.id, session.user.id);
      await store.remove(s.id, 'removed by you', now());
      await core.audit.append({
        action: 'push.unsubscribed',
        actor: session.user.id,
        subject: { subscriptionId: s.id, device: s.device, reason: 'removed by the owner' },
      });
      return undefined;
    },
  });

  core.http.publicRoute({
    method: 'POST',
    url: '/api/push/actions',
    access: { public: true },
    bodyLimit: 4 * 1024,
    body: z.strictObject({
      token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'token is not a notification token'),
      action: z.enum(['send', 'dismiss']),
      endpoint: z.string().min(1).max(2048),
    }),
    handler: async ({ body, req }) => {
      const hash = hashToken(body.token);
      const t = await store.token(hash);
      const sub = t ? await store.subscription(t.subscription_id) : undefined;
      // One answer for every way a token can be wrong: nothing here helps a guesser.
      const refuse = (why: string) => {
        d.log.warn({ why, ip: req.ip }, 'notification answer refused');
        return new ForbiddenError('this notification can no longer be answered: open the app');
      };
      if (!t || !sub) throw refuse('unknown token');
      if (sub.removed_at !== null) throw refuse('device removed');
      if (sub.endpoint !== body.endpoint) throw refuse('token used from another device');
      const owner = (await core.accounts.users()).find((u) => u.id === sub.user_id);
      if (!owner || owner.disabled || owner.removed || owner.role !== 'owner') throw refuse('the account is no longer an owner');
      if (t.used_at !== null) throw new ConflictError('this notification was already answered', { answered: t.used_action });
      const outbox = d.outbox();
      if (!outbox) throw new NotFoundError('the alert outbox');
      const alert = await outbox.store.alert(t.alert_id);
      if (alert?.status !== 'awaiting_consent')
        throw new ConflictError(`this alert is ${alert?.status ?? 'gone'}; it was already decided`, { status: alert?.status ?? null });
      if (!(await store.useToken(hash, body.action, now()))) throw refuse('token expired or spent');
      const a = body.action === 'send' ? await outbox.send(t.alert_id, sub.user_id) : await outbox.dismiss(t.alert_id, sub.user_id);
      await core.audit.append({
        action: 'push.answered',
        actor: sub.user_id,
        subject: { alertId: t.alert_id, subscriptionId: sub.id, device: sub.device, answer: body.action, status: a.status },
      });
      return { alertId: a.id, status: a.status, detail: a.detail };
    },
  });
}
