/**
 * The route matrix: every route in the hub's route registry (HTTP and WebSocket), called
 * anonymously, as each role, and with an owner's API token for each scope (so with and without
 * every scope), and each answer checked against the route's declared access. The declared access
 * must also match the reviewed table in route-access-table.ts: a route missing there fails.
 *
 * Allowed calls carry a body with an unknown key, so routes that take a body stop at validation
 * (400) after the access check and change nothing; the few without a body run for real, ordered
 * so the one that ends an account (the installer's handover) comes last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Role } from '../../../hub/api/roles.js';
import { TOKEN_SCOPES } from '../../../hub/http/core-routes.js';
import type { Access, RegisteredRoute } from '../../../hub/http/routes.js';
import { ApiClient, type ApiResponse, invitedClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { type Expected, ROUTE_ACCESS } from './route-access-table.js';

type Identity =
  | { kind: 'anonymous'; name: string; client: ApiClient }
  | { kind: 'role'; name: string; role: Role; client: ApiClient; relogin: () => Promise<void> }
  | { kind: 'token'; name: string; scope: string; client: ApiClient; token: string };

const ROLES: Role[] = ['police', 'advocate', 'owner', 'installer'];
const LAST = new Set(['POST /api/auth/logout', 'POST /api/installer/handover']);

function normalise(a: Access): Expected {
  if ('public' in a) return 'public';
  return { roles: [...a.roles].sort(), ...(a.scope ? { scope: a.scope } : {}) };
}

function normaliseExpected(e: Expected): Expected {
  return e === 'public' ? e : { roles: [...e.roles].sort(), ...(e.scope ? { scope: e.scope } : {}) };
}

/** 'allowed', or the status a refusal must have. */
function expectedOutcome(access: Access, id: Identity): 'allowed' | 401 | 403 {
  if ('public' in access) return 'allowed';
  if (id.kind === 'anonymous') return 401;
  if (id.kind === 'role') return access.roles.includes(id.role) ? 'allowed' : 403;
  return access.roles.includes('owner') && access.scope === id.scope ? 'allowed' : 403;
}

const probeUrl = (url: string) => url.replace(/:[A-Za-z]+/g, 'matrix-probe');

function wsOutcome(base: string, path: string, headers: Record<string, string>): Promise<{ close?: number; message?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, { headers });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer on ${path}`));
    }, 10_000);
    const done = (r: { close?: number; message?: string }) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(r);
    };
    ws.once('message', (m: Buffer) => done({ message: m.toString() }));
    ws.once('close', (code) => done({ close: code }));
    ws.once('unexpected-response', (_req, res) => done({ close: res.statusCode ?? 0 }));
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('route matrix: every registered route against its declared access', () => {
  let t: TestHub;
  const identities: Identity[] = [];
  let routes: RegisteredRoute[] = [];

  beforeAll(async () => {
    t = await startTestHub({ config: { http: { requestsPerMinute: 100_000 } } });
    const owner = await ownerClient(t.url, t.setupCode);
    const passwords: Record<string, string> = { owner: OWNER.password };
    const clients: Record<string, ApiClient> = { owner };
    for (const role of ['installer', 'police', 'advocate'] as const) {
      clients[role] = await invitedClient(t.url, owner, role, `matrix-${role}`);
      passwords[role] = `matrix-${role} password 123`;
    }
    identities.push({ kind: 'anonymous', name: 'anonymous', client: new ApiClient(t.url) });
    for (const scope of TOKEN_SCOPES) {
      const r = await owner.post<{ token: string }>('/api/tokens', {
        name: `matrix ${scope}`,
        scopes: [scope],
        ...(scope === 'alarm:disarm' ? { password: OWNER.password } : {}),
      });
      if (r.status !== 200) throw new Error(`token ${scope}: ${r.status} ${JSON.stringify(r.body)}`);
      identities.push({
        kind: 'token',
        name: `token[${scope}]`,
        scope,
        client: ApiClient.withToken(t.url, r.body.token),
        token: r.body.token,
      });
    }
    for (const role of ROLES) {
      const client = clients[role] as ApiClient;
      const username = role === 'owner' ? OWNER.username : `matrix-${role}`;
      identities.push({
        kind: 'role',
        name: role,
        role,
        client,
        relogin: async () => {
          const l = await client.login(username, passwords[role] as string);
          if (l.status !== 200) throw new Error(`re-login as ${role}: ${l.status}`);
        },
      });
    }
    routes = [...t.hub.core.http.routes()].sort(
      (a, b) => Number(LAST.has(`${a.method} ${a.url}`)) - Number(LAST.has(`${b.method} ${b.url}`)),
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('every registered route is in the reviewed table with the same access, and the table names no stale route', () => {
    expect(routes.length).toBeGreaterThan(50);
    const registered = new Map(routes.map((r) => [`${r.method} ${r.url}`, r]));
    for (const [key, r] of registered) {
      const expected = ROUTE_ACCESS[key];
      expect(expected, `${key} is registered but missing from route-access-table.ts`).toBeDefined();
      expect(normalise(r.access), key).toEqual(normaliseExpected(expected as Expected));
    }
    for (const key of Object.keys(ROUTE_ACCESS)) expect(registered.has(key), `${key} is in the table but not registered`).toBe(true);
    expect(routes.filter((r) => r.websocket).map((r) => r.url)).toEqual(expect.arrayContaining(['/api/ws', '/api/cameras/:id/live']));
  });

  it('each route answers anonymous callers, every role and every token scope as declared', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const path = probeUrl(route.url);
      for (const id of identities) {
        const want = expectedOutcome(route.access, id);
        const label = `${route.method} ${route.url} as ${id.name}`;
        if (route.websocket) {
          const headers: Record<string, string> = {};
          if (id.kind === 'token') headers.authorization = `Bearer ${id.token}`;
          else if (id.client.sessionCookie) headers.cookie = id.client.sessionCookie;
          const got = await wsOutcome(t.url, path, headers);
          const refused = got.close === 4401 ? 401 : got.close === 4403 ? 403 : null;
          if (want === 'allowed' ? refused !== null : refused !== want)
            failures.push(`${label}: wanted ${want}, got ${JSON.stringify(got)}`);
          checked++;
          continue;
        }
        const probe = route.method === 'GET' || route.method === 'DELETE' ? undefined : { matrixProbe: true };
        const r: ApiResponse<{ error?: { code: string } }> = await id.client.request(route.method, path, probe);
        const code = r.body?.error?.code;
        if (want === 'allowed') {
          if (r.status === 401 || code === 'HUB_ERR_FORBIDDEN' || code === 'HUB_ERR_UNAUTHENTICATED')
            failures.push(`${label}: wanted allowed, got ${r.status} ${code}`);
        } else if (r.status !== want || code !== (want === 401 ? 'HUB_ERR_UNAUTHENTICATED' : 'HUB_ERR_FORBIDDEN')) {
          failures.push(`${label}: wanted ${want}, got ${r.status} ${code}`);
        }
        checked++;
        // A call that ended the session (sign-out) must not make later rows pass as refusals.
        if (id.kind === 'role' && route.method !== 'GET' && (await id.client.get('/api/session')).status === 401) {
          if (route.url !== '/api/installer/handover') await id.relogin();
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(routes.length * identities.length);
  }, 300_000);
});
