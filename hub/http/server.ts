/**
 * The HTTP server (Fastify): HTTPS with the hub's certificate, security headers (helmet: a strict
 * CSP with no inline script, no framing, no referrer, HSTS), a per-address request flood guard,
 * sessions from cookies or bearer tokens, CSRF checks on state-changing cookie requests, error
 * mapping to `{ error: { code, message } }`, the WebSocket plugin, and the built UI as static files.
 */
import { existsSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { describeError, HubError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import type { Accounts } from '../auth/accounts.js';
import { assertRouteHasAccess, DEFAULT_BODY_LIMIT } from './routes.js';

export const SESSION_COOKIE = 'sanctuary_session';
/** Long-lived, per account: a device that signed in before is not slowed by others' failed sign-ins. */
export const DEVICE_COOKIE = 'sanctuary_device';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The whole UI is served from this origin as files: no inline script or style, no eval, no
 * framing. `data:` images are camera stills and the certificate QR code; `blob:` is live video.
 */
export function contentSecurityPolicy(tls: boolean): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    // WebAssembly (the live-view decoder) may compile; JavaScript eval stays forbidden.
    'script-src': ["'self'", "'wasm-unsafe-eval'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'media-src': ["'self'", 'blob:'],
    'connect-src': ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    'font-src': ["'self'"],
    'manifest-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    ...(tls ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

export interface HttpServerOptions {
  accounts: Accounts;
  log: Logger;
  uiDir: string | null;
  bodyLimit?: number;
  /** PEM key and certificate; null serves plain HTTP (allowed only on a loopback bind, see config). */
  tls?: { key: string; cert: string } | null;
  /** Requests per minute per client address (flood guard; default 1200). */
  requestsPerMinute?: number;
}

export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const base = {
    logger: false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: false,
  } as const;
  // Fastify's types split on `https`; both branches give the same instance shape to the code below.
  const tls = opts.tls ?? null;
  const app = (tls ? Fastify({ ...base, https: { key: tls.key, cert: tls.cert } }) : Fastify(base)) as unknown as FastifyInstance;
  app.decorateRequest('session', null);
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(tls !== null) },
    strictTransportSecurity: tls ? { maxAge: 365 * 24 * 3600, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyRateLimit, {
    global: true,
    max: opts.requestsPerMinute ?? 1200,
    timeWindow: 60_000,
    keyGenerator: (req) => req.ip,
    errorResponseBuilder: (_req, ctx) =>
      new HubError('HUB_ERR_RATE_LIMITED', `too many requests from this address; try again in ${Math.ceil(ctx.ttl / 1000)} s`, {
        details: { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) },
      }),
  });
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api') || route.url.startsWith('/ws')) assertRouteHasAccess(route.url, route.method, route.config);
  });

  app.addHook('onRequest', async (req) => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      req.session = await opts.accounts.sessionFromApiToken(auth.slice(7).trim(), req.ip);
      if (!req.session) throw new HubError('HUB_ERR_UNAUTHENTICATED', 'that API token is not valid');
      return;
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie) req.session = await opts.accounts.sessionFromCookie(cookie);
    if (req.session && !SAFE_METHODS.has(req.method) && req.url.startsWith('/api')) {
      const header = req.headers['x-csrf-token'];
      if (header !== req.session.csrfToken) throw new HubError('HUB_ERR_CSRF', 'missing or wrong X-CSRF-Token header');
    }
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HubError) {
      if (err.httpStatus >= 500) opts.log.error({ url: req.routeOptions.url ?? req.url, err: describeError(err) }, 'request failed');
      else opts.log.info({ url: req.routeOptions.url ?? req.url, method: req.method, code: err.code }, err.message);
      const retry = err.details?.retryAfterSeconds;
      if (typeof retry === 'number') reply.header('retry-after', String(retry));
      return reply.code(err.httpStatus).send({ error: err.toJSON() });
    }
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode && e.statusCode < 500) {
      opts.log.info({ url: req.routeOptions.url ?? req.url, code: e.code }, e.message);
      return reply.code(e.statusCode).send({
        error: {
          code: 'HUB_ERR_VALIDATION',
          message: `request: ${e.message}`,
        },
      });
    }
    opts.log.error({ url: req.routeOptions.url ?? req.url, err: describeError(err) }, 'unexpected error in request');
    return reply.code(500).send({
      error: {
        code: 'HUB_ERR_INTERNAL',
        message: 'internal error (see the hub log)',
      },
    });
  });

  if (opts.uiDir && existsSync(opts.uiDir)) {
    await app.register(fastifyStatic, {
      root: opts.uiDir,
      prefix: '/',
      index: ['index.html'],
      wildcard: false,
    });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api') && !req.url.startsWith('/ws')) return reply.sendFile('index.html');
      return reply.code(404).send({
        error: {
          code: 'HUB_ERR_NOT_FOUND',
          message: `${req.method} ${req.url} not found`,
        },
      });
    });
  } else {
    app.setNotFoundHandler((req, reply) =>
      reply.code(404).send({
        error: {
          code: 'HUB_ERR_NOT_FOUND',
          message: `${req.method} ${req.url} not found`,
        },
      }),
    );
  }
  return app;
}
