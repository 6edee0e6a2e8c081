/** Routes every hub has: health, setup, sign-in, sessions, invites, API tokens, devices, events. */
import { z } from 'zod';
import { ForbiddenError, NotFoundError, ValidationError } from '../api/errors.js';
import type { EventMap, EventName } from '../api/events.js';
import type { Role } from '../api/roles.js';
import { MIN_PASSWORD_LENGTH } from '../auth/accounts.js';
import { DEVICE_COOKIE_DAYS } from '../auth/known-devices.js';
import { cameraSeedSchema, sensorSeedSchema } from '../config/devices-schema.js';
import type { HubCore } from '../core.js';
import { publicCamera } from '../devices/registry.js';
import type { IdentityModule } from '../identity/identity-module.js';
import { registerAccountRoutes } from './account-routes.js';
import { DEVICE_COOKIE, SESSION_COOKIE } from './server.js';

const username = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
const password = z.string().min(MIN_PASSWORD_LENGTH, `use at least ${MIN_PASSWORD_LENGTH} characters`).max(256);
const ALL: readonly Role[] = ['owner', 'installer', 'police', 'advocate'];
/** Largest sign-in, setup and invite bodies: a few short strings. */
const AUTH_BODY_LIMIT = 4096;

/** API-token scopes an owner may grant (Homebridge and other local integrations). */
export const TOKEN_SCOPES = ['alarm:read', 'alarm:arm', 'alarm:disarm', 'sensors:read', 'events:read', 'cameras:snapshot'] as const;

/** Said wherever a recovery code is shown: the one moment it can be written down. */
export const RECOVERY_NOTE =
  'This is your recovery code. Write it down and keep it somewhere safe away from the hub. ' +
  'Your recordings are locked with your password; if you forget the password, this code is the only way to open them. ' +
  'Without both, nobody can open them: not the police, not the installer, not us. It is shown only now.';

/** The product's name, shown only to signed-in users (public pages stay neutral). */
export const PRODUCT_NAME = 'Sanctuary';

export function registerCoreRoutes(core: HubCore, version: string): void {
  const { http, accounts, health, devices, config } = core;
  registerAccountRoutes(core);

  // Public routes say nothing about the home or the product: anyone on the Wi-Fi can call them.
  // Health details (components, cameras offline, the ARC link, the alarm) need a signed-in
  // owner or installer; everyone else learns only whether the hub is up: false (503) when a
  // critical component failed (hub/health/health), which is what `sanctuary update` waits on.
  http.publicRoute({
    method: 'GET',
    url: '/api/health',
    access: { public: true },
    handler: async ({ session, reply }) => {
      const snap = await health.snapshot();
      if (session && session.scopes === null && (session.user.role === 'owner' || session.user.role === 'installer')) {
        return { version, ...snap };
      }
      const up = snap.status !== 'failed';
      if (!up) reply.code(503);
      return { up };
    },
  });

  http.publicRoute({
    method: 'GET',
    url: '/api',
    access: { public: true },
    handler: async ({ session }) => ({
      mode: await accounts.mode(),
      hubFingerprint: core.module<IdentityModule>('identity')?.publicInfo?.fingerprint ?? null,
      // The product's and the home's names only for someone signed in.
      ...(session ? { name: PRODUCT_NAME, version, home: config.home.name } : {}),
    }),
  });

  // The branded icon and install manifest name the product: only for signed-in devices.
  const branded = new Set(['/icon.svg', '/manifest.webmanifest']);
  http.fastify.addHook('onRequest', async (req, reply) => {
    if (req.session) return;
    // Compare the path the static server will resolve (dot segments, %-escapes, case), not the raw one.
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://hub.invalid').pathname).toLowerCase();
    } catch {
      path = req.url.toLowerCase();
    }
    if (branded.has(path) || [...branded].some((b) => path.endsWith(b))) {
      await reply.code(404).send({ error: { code: 'HUB_ERR_NOT_FOUND', message: 'not found' } });
    }
  });

  http.publicRoute({
    method: 'POST',
    url: '/api/setup',
    access: { public: true },
    bodyLimit: AUTH_BODY_LIMIT,
    body: z.strictObject({
      code: z.string().min(4).max(64),
      username,
      password,
      displayName: z.string().trim().min(1).max(100),
      role: z.enum(['owner', 'installer']).default('owner'),
    }),
    handler: async ({ body, req }) => {
      accounts.limiter.check('setup', req.ip);
      try {
        const { recoveryCode, ...user } = await accounts.claim(body);
        return recoveryCode ? { user, recoveryCode, recoveryNote: RECOVERY_NOTE } : { user };
      } catch (err) {
        accounts.limiter.fail('setup', req.ip);
        throw err;
      }
    },
  });

  http.publicRoute({
    method: 'POST',
    url: '/api/auth/login',
    access: { public: true },
    bodyLimit: AUTH_BODY_LIMIT,
    body: z.strictObject({
      username: z.string().min(1).max(64),
      password: z.string().min(1).max(256),
    }),
    handler: async ({ body, req, reply }) => {
      const secure = config.http.secureCookies || config.http.tls.enabled;
      const { token, session, deviceToken, recoveryCode } = await accounts.login(body.username, body.password, req.ip, {
        deviceToken: req.cookies[DEVICE_COOKIE],
        userAgent: req.headers['user-agent'],
      });
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: '/',
        expires: new Date(session.expiresAt),
      });
      // Sent only to the sign-in route: it tells the throttle this browser signed in here before.
      reply.setCookie(DEVICE_COOKIE, deviceToken, {
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: '/api/auth',
        maxAge: DEVICE_COOKIE_DAYS * 24 * 3600,
      });
      return {
        user: session.user,
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt,
        footageUnlocked: core.vault.isUnlocked(session.user.id),
        // An owner signing in for the first time since keys came in gets her recovery code now, once.
        ...(recoveryCode ? { recoveryCode, recoveryNote: RECOVERY_NOTE } : {}),
      };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/auth/unlock',
    access: { roles: ALL },
    bodyLimit: AUTH_BODY_LIMIT,
    body: z.strictObject({ password: z.string().min(1).max(256) }),
    handler: async ({ body, req, session }) => {
      if (session.scopes !== null) throw new ForbiddenError('an API token cannot unlock footage; sign in with your password');
      const { recoveryCode } = await accounts.unlock(session.user, body.password, req.ip);
      return { footageUnlocked: true, ...(recoveryCode ? { recoveryCode, recoveryNote: RECOVERY_NOTE } : {}) };
    },
  });

  http.publicRoute({
    method: 'POST',
    url: '/api/auth/recover',
    access: { public: true },
    bodyLimit: AUTH_BODY_LIMIT,
    body: z.strictObject({
      username: z.string().min(1).max(64),
      recoveryCode: z.string().min(4).max(64),
      newPassword: password,
    }),
    handler: async ({ body, req }) => {
      const recoveryCode = await accounts.recover(body, req.ip);
      return { recovered: true, recoveryCode, recoveryNote: RECOVERY_NOTE };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/auth/recovery-code',
    access: { roles: ['owner'] },
    bodyLimit: AUTH_BODY_LIMIT,
    body: z.strictObject({ password: z.string().min(1).max(256) }),
    handler: async ({ body, session }) => {
      await accounts.confirmPassword(session.user.id, body.password, 'recovery-code');
      return { recoveryCode: await core.vault.replaceRecoveryCode(session.user), recoveryNote: RECOVERY_NOTE };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/auth/logout',
    access: { roles: ALL },
    handler: async ({ req, reply, session }) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) await accounts.logout(token, session.user.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      // The device cookie stays: this browser is still one that signed in here before.
    },
  });

  http.route({
    method: 'GET',
    url: '/api/session',
    access: { roles: ALL },
    handler: ({ session }) => ({
      user: session.user,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
      footageUnlocked: core.vault.isUnlocked(session.user.id),
    }),
  });

  http.route({
    method: 'POST',
    url: '/api/invites',
    access: { roles: ['owner', 'installer'] },
    body: z.strictObject({
      role: z.enum(['police', 'advocate', 'installer']),
      displayName: z.string().trim().min(1).max(100),
    }),
    handler: async ({ body, session }) => ({
      code: await accounts.invite(session.user, body.role, body.displayName),
    }),
  });

  http.publicRoute({
    method: 'POST',
    url: '/api/invites/accept',
    access: { public: true },
    bodyLimit: AUTH_BODY_LIMIT,
    body: z.strictObject({
      code: z.string().min(4).max(64),
      username,
      password,
    }),
    handler: async ({ body, req }) => {
      accounts.limiter.check('invite', req.ip);
      try {
        const { recoveryCode, ...user } = await accounts.acceptInvite(body);
        return recoveryCode ? { user, recoveryCode, recoveryNote: RECOVERY_NOTE } : { user };
      } catch (err) {
        accounts.limiter.fail('invite', req.ip);
        throw err;
      }
    },
  });

  http.route({
    method: 'GET',
    url: '/api/users',
    access: { roles: ['owner'] },
    handler: async () => ({ users: await accounts.users() }),
  });

  http.route({
    method: 'POST',
    url: '/api/installer/handover',
    access: { roles: ['installer'] },
    handler: async ({ session }) => ({
      ownerCode: await accounts.handover(session.user.id),
    }),
  });

  http.route({
    method: 'GET',
    url: '/api/tokens',
    access: { roles: ['owner'] },
    handler: async ({ session }) => ({
      tokens: await accounts.listApiTokens(session.user.id),
      scopes: TOKEN_SCOPES,
    }),
  });

  http.route({
    method: 'POST',
    url: '/api/tokens',
    access: { roles: ['owner'] },
    body: z.strictObject({
      name: z.string().trim().min(1).max(64),
      scopes: z.array(z.enum(TOKEN_SCOPES)).min(1),
      /** Required for `alarm:disarm`: a token that disarms without a PIN is worth a password. */
      password: z.string().max(256).optional(),
      /** Every token expires; the owner makes a new one when it does. */
      expiresInDays: z.number().int().min(1).max(365).default(90),
    }),
    handler: async ({ body, session }) => {
      if (body.scopes.includes('alarm:disarm')) {
        if (!body.password) {
          throw new ValidationError('body.password: type your password again to allow disarming with this token', { field: 'password' });
        }
        await accounts.confirmPassword(session.user.id, body.password, 'api_token.alarm:disarm');
      }
      return { token: await accounts.issueApiToken(session.user.id, body.name, body.scopes, body.expiresInDays) };
    },
  });

  http.route({
    method: 'DELETE',
    url: '/api/tokens/:id',
    access: { roles: ['owner'] },
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    handler: async ({ params, session }) => {
      await accounts.revokeApiToken(session.user.id, params.id);
    },
  });

  // Devices: the installer sets them up; the owner may review and change them after handover.
  http.route({
    method: 'GET',
    url: '/api/devices',
    access: { roles: ['owner', 'installer'], scope: 'sensors:read' },
    handler: () => ({
      sensors: devices.sensors(),
      cameras: devices.cameras().map(publicCamera),
    }),
  });

  http.route({
    method: 'PUT',
    url: '/api/devices/sensors/:id',
    access: { roles: ['owner', 'installer'] },
    params: z.strictObject({ id: z.string() }),
    body: sensorSeedSchema.omit({ id: true }),
    handler: async ({ params, body, session }) => {
      const sensor = await devices.upsertSensor({ ...body, id: params.id });
      await core.audit.append({
        action: 'device.sensor_saved',
        actor: session.user.id,
        subject: {
          id: sensor.id,
          name: sensor.name,
          smartwater: sensor.smartwater,
        },
      });
      return { sensor };
    },
  });

  http.route({
    method: 'PUT',
    url: '/api/devices/cameras/:id',
    access: { roles: ['owner', 'installer'] },
    params: z.strictObject({ id: z.string() }),
    body: cameraSeedSchema.omit({ id: true }),
    handler: async ({ params, body, session }) => {
      // A password left out keeps the stored one (the registry decides; the API never shows it).
      const before = devices.camera(params.id)?.source.password;
      const camera = await devices.upsertCamera({ ...body, id: params.id });
      await core.audit.append({
        action: 'device.camera_saved',
        actor: session.user.id,
        // Whether the password changed, never the password.
        subject: { id: camera.id, name: camera.name, passwordChanged: before !== camera.source.password },
      });
      return { camera: publicCamera(camera) };
    },
  });

  http.route({
    method: 'DELETE',
    url: '/api/devices/:id',
    access: { roles: ['owner', 'installer'] },
    params: z.strictObject({ id: z.string() }),
    handler: async ({ params, session }) => {
      if (!(await devices.remove(params.id))) throw new NotFoundError(`device ${params.id}`);
      await core.audit.append({
        action: 'device.removed',
        actor: session.user.id,
        subject: { id: params.id },
      });
    },
  });

  http.route({
    method: 'GET',
    url: '/api/events',
    access: { roles: ['owner', 'installer'], scope: 'events:read' },
    query: z.strictObject({
      from: z.coerce.number().int().optional(),
      to: z.coerce.number().int().optional(),
      names: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(5000).optional(),
      beforeSeq: z.coerce.number().int().optional(),
      /** `incident-log`: only what may go into an incident log (the owner's picker). */
      for: z.enum(['incident-log']).optional(),
    }),
    handler: async ({ query, session }) => {
      await core.eventLog.flush();
      const names = query.names?.split(',').filter(Boolean);
      const filter: Parameters<typeof core.eventLog.query>[0] = {};
      if (query.from !== undefined) filter.from = query.from;
      if (query.to !== undefined) filter.to = query.to;
      if (names) filter.names = names;
      if (query.limit !== undefined) filter.limit = query.limit;
      if (query.beforeSeq !== undefined) filter.beforeSeq = query.beforeSeq;
      const events = await core.eventLog.query(filter);
      const surface = core.policy.surfaceFor(session);
      const alsoLog = query.for === 'incident-log';
      return {
        events: events.filter(
          (e) => core.policy.mayShow(surface, e.name, e.payload) && (!alsoLog || core.policy.mayShow('advocate_log', e.name, e.payload)),
        ),
      };
    },
  });

  // Live event feed over WebSocket, filtered by role.
  const feedAccess = { roles: ALL, scope: 'events:read' };
  http.fastify.get('/api/ws', { websocket: true, config: { access: feedAccess } }, (socket, req) => {
    let session: ReturnType<typeof http.authorize>;
    try {
      session = http.authorize(req, feedAccess);
    } catch (err) {
      // 4401: the UI understands it as "sign in again"; 4403: signed in, but not allowed (a token without events:read).
      socket.close((err as { code?: string }).code === 'HUB_ERR_FORBIDDEN' ? 4403 : 4401, 'sign in first');
      return;
    }
    const role = session?.user.role ?? 'police';
    const surface = session ? core.policy.surfaceFor(session) : 'visitor_app';
    const off = core.bus.onAny('ws-feed', (name: EventName, event: EventMap[EventName]) => {
      if (!core.policy.mayShow(surface, name, event) || socket.readyState !== socket.OPEN) return;
      socket.send(JSON.stringify({ type: 'event', name, event }));
    });
    socket.on('close', off);
    socket.send(JSON.stringify({ type: 'hello', role }));
  });
}
