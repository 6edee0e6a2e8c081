/**
 * How every API route is declared. A route names who may call it (`roles`, or `public`), an
 * optional API-token scope, and zod schemas for its body, query and params. The server refuses
 * to register a route that declares no access rule, so no route can forget its role check.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import { ForbiddenError, HubError, UnauthenticatedError, ValidationError } from '../api/errors.js';
import type { Role } from '../api/roles.js';
import type { Session } from '../auth/accounts.js';
import { formatZodIssues } from '../config/load.js';

export type Access = { public: true } | { roles: readonly Role[]; scope?: string };

/** The server-wide body limit, and the one for routes that declare no body. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const NO_BODY_LIMIT = 16 * 1024;

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  session: Session | null;
  req: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteDef<B, Q, P> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  access: { roles: readonly Role[]; scope?: string };
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  /** Largest body in bytes (default: the server's limit, 1 MiB; routes without a body schema 16 KiB). */
  bodyLimit?: number;
  /** Rate-limit or other checks run before the body is parsed. */
  handler: (ctx: RouteContext<B, Q, P> & { session: Session }) => Promise<unknown> | unknown;
}

export interface PublicRouteDef<B, Q, P> extends Omit<RouteDef<B, Q, P>, 'handler' | 'access'> {
  access: { public: true };
  handler: (ctx: RouteContext<B, Q, P>) => Promise<unknown> | unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** One API route as registered: what the route matrix test enumerates. */
export interface RegisteredRoute {
  method: string;
  url: string;
  access: Access;
  websocket: boolean;
}

export interface RouteRegistrar {
  /**
   * Every /api and /ws route registered so far, HTTP and WebSocket, with its declared access. The
   * route matrix and the surface matrix tests walk it, so a new route cannot miss either.
   */
  routes(): readonly RegisteredRoute[];
  /** A route for signed-in users with one of `access.roles`. */
  route<B = undefined, Q = undefined, P = undefined>(def: RouteDef<B, Q, P>): void;
  /** A route anyone on the network may call (health, sign-in, setup). */
  publicRoute<B = undefined, Q = undefined, P = undefined>(def: PublicRouteDef<B, Q, P>): void;
  /** The underlying Fastify instance for WebSocket routes (they still declare access via `authorize`). */
  readonly fastify: FastifyInstance;
  authorize(req: FastifyRequest, access: Access): Session | null;
}

function parse<T>(schema: ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!r.success) {
    const { field, problem, all } = formatZodIssues(r.error, where);
    throw new ValidationError(`${field}: ${problem}`, { field, problems: all });
  }
  return r.data;
}

export function authorize(req: FastifyRequest, access: Access): Session | null {
  if ('public' in access) return req.session;
  const session = req.session;
  if (!session) throw new UnauthenticatedError();
  if (!access.roles.includes(session.user.role)) throw new ForbiddenError(`this needs the ${access.roles.join(' or ')} role`);
  if (session.scopes !== null) {
    if (!access.scope || !session.scopes.includes(access.scope)) {
      throw new ForbiddenError(access.scope ? `this token lacks the "${access.scope}" scope` : 'API tokens may not call this route');
    }
  }
  return session;
}

export function createRegistrar(app: FastifyInstance): RouteRegistrar {
  const registered: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api') && !route.url.startsWith('/ws')) return;
    const access = (route.config as { access?: Access } | undefined)?.access;
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      // Fastify adds a HEAD twin for every GET; it runs the same handler and checks.
      if (method === 'HEAD' || !access) continue;
      registered.push({ method, url: route.url, access, websocket: (route as { websocket?: boolean }).websocket === true });
    }
  });
  const add = (def: RouteDef<unknown, unknown, unknown> | PublicRouteDef<unknown, unknown, unknown>) => {
    app.route({
      method: def.method,
      url: def.url,
      // Every route has a body limit: its own, the server's, or a small one when it takes no body.
      bodyLimit: def.bodyLimit ?? (def.body ? DEFAULT_BODY_LIMIT : NO_BODY_LIMIT),
      config: { access: def.access },
      handler: async (req, reply) => {
        const session = authorize(req, def.access);
        const ctx = {
          body: parse(def.body, req.body, 'body'),
          query: parse(def.query, req.query, 'query'),
          params: parse(def.params, req.params, 'params'),
          session,
          req,
          reply,
        };
        const result = await (def.handler as (c: typeof ctx) => unknown)(ctx);
        if (reply.sent) return reply;
        if (result === undefined) return reply.code(204).send();
        return result;
      },
    });
  };
  return {
    routes: () => registered,
    fastify: app,
    authorize,
    route: (def) => add(def as RouteDef<unknown, unknown, unknown>),
    publicRoute: (def) => add(def as PublicRouteDef<unknown, unknown, unknown>),
  };
}

/** Ensures every route declares access (called from Fastify's onRoute hook). */
export function assertRouteHasAccess(url: string, method: string | string[], config: unknown): void {
  const access = (config as { access?: Access } | undefined)?.access;
  if (!access) throw new HubError('HUB_ERR_INTERNAL', `route ${String(method)} ${url} declares no access rule`);
}
