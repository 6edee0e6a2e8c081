import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

const UI = new URL('../../../ui/', import.meta.url).pathname;

describe('security headers, request limits and the UI under a strict CSP', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('the UI pages have no inline script or style, so the CSP needs no unsafe-inline', async () => {
    const pages = [
      join(UI, 'index.html'),
      ...(await readdir(join(UI, 'public'))).filter((f) => f.endsWith('.html')).map((f) => join(UI, 'public', f)),
    ];
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const page of pages) {
      const html = await readFile(page, 'utf8');
      for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag, page).toMatch(/\bsrc=/);
      expect(html, page).not.toMatch(/<style\b/);
      expect(html, page).not.toMatch(/\son[a-z]+=/);
    }
  });

  it('sends helmet headers on API answers and refuses bodies over each route limit', async () => {
    t = await startTestHub({ modules: [] });
    const c = new ApiClient(t.url);
    const r = await c.get('/api/health');
    const csp = r.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"])
      expect(csp).toContain(d);
    expect(csp).not.toContain("'unsafe-inline'");
    expect(csp).not.toContain("'unsafe-eval'");
    // Plain HTTP on loopback (TLS off by config): no HSTS and no upgrade-insecure-requests.
    expect(r.headers.get('strict-transport-security')).toBeNull();
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');

    // Sign-in takes a few short strings: 8 KB is refused before it is parsed.
    const big = await c.post<{ error: { code: string } }>('/api/auth/login', { username: OWNER.username, password: 'x'.repeat(8000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('HUB_ERR_VALIDATION');
    const owner = await ownerClient(t.url, t.setupCode);
    // A route with no body schema takes at most 16 KB; every route at most 1 MiB.
    expect((await owner.post('/api/auth/logout', { pad: 'x'.repeat(20_000) })).status).toBe(413);
    expect((await owner.post('/api/invites', { role: 'police', displayName: 'x'.repeat(1_100_000) })).status).toBe(413);
    expect((await owner.get('/api/session')).status).toBe(200);
  });

  it('a flood from one address is answered 429 with Retry-After', async () => {
    t = await startTestHub({ modules: [], config: { http: { requestsPerMinute: 20 } } });
    const c = new ApiClient(t.url);
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await c.get('/api/health')).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const limited = await c.get<{ error: { code: string } }>('/api/health');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('HUB_ERR_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
