import { X509Certificate } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadOrCreateTls } from '../../../hub/http/tls.js';
import { ApiClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';

describe('HTTPS by default', () => {
  let t: TestHub | null = null;
  const sockets: WebSocket[] = [];
  const dirs: string[] = [];
  const dir = async () => {
    const d = await tempDir();
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t?.close();
    t = null;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('serves the API over HTTPS with its own CA, redirects plain HTTP and keeps its keys private', async () => {
    t = await startTestHub({ tls: true, modules: [] });
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(t.ca).toContain('BEGIN CERTIFICATE');
    const phone = new ApiClient(t.url, { ca: t.ca ?? '' });
    const health = await phone.get('/api/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
    const csp = health.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(health.headers.get('referrer-policy')).toBe('no-referrer');
    expect(health.headers.get('x-frame-options')).toBe('DENY');

    // The certificate names the loopback address and is issued by the CA the hub gives out.
    const ca = new X509Certificate(t.ca ?? '');
    const tls = t.hub.tls;
    expect(tls).not.toBeNull();
    const leaf = new X509Certificate(tls?.cert ?? '');
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.ca).toBe(false);
    expect(ca.ca).toBe(true);
    expect(tls?.fingerprint).toBe(ca.fingerprint256);

    for (const f of ['ca.key', 'server.key']) expect((await stat(join(t.dataDir, 'tls', f))).mode & 0o777).toBe(0o600);

    // Plain HTTP: a redirect to the same path over HTTPS, and the CA certificate with its fingerprint.
    const plain = new ApiClient(t.httpUrl, { manualRedirects: true });
    const redirect = await plain.request('GET', '/api/health?x=1', undefined, {});
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe(`${t.url}/api/health?x=1`);
    const forged = await plain.request('GET', '/', undefined, { host: 'evil.example:80' });
    expect(forged.headers.get('location')).toBe(`${t.url}/`);
    const caFile = await plain.get<string>('/sanctuary-ca.crt');
    expect(caFile.status).toBe(200);
    expect(caFile.body).toBe(t.ca);
    const fp = await plain.get<string>('/sanctuary-ca.txt');
    expect(fp.body).toContain(ca.fingerprint256);
    const login = await plain.post('/api/auth/login', { username: 'x', password: 'y' });
    expect(login.status).toBe(308);
  });

  it('sets Secure cookies and runs the live feed over wss with the same certificate', async () => {
    t = await startTestHub({ tls: true, modules: [] });
    const owner = await ownerClient(t.url, t.setupCode, { ca: t.ca ?? '' });
    const cookies = owner.lastSetCookies;
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) {
      expect(c).toMatch(/; Secure/);
      expect(c).toMatch(/; HttpOnly/);
      expect(c).toMatch(/; SameSite=Strict/);
    }
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}/api/ws`, {
      ca: t.ca ?? '',
      headers: { cookie: owner.sessionCookie ?? '' },
    });
    sockets.push(ws);
    const hello = await new Promise<{ type: string; role: string }>((resolve, reject) => {
      ws.once('message', (m: Buffer) => resolve(JSON.parse(m.toString()) as { type: string; role: string }));
      ws.once('error', reject);
    });
    expect(hello).toEqual({ type: 'hello', role: 'owner' });
  });

  it('is refused by a client that trusts another CA, or only the public ones', async () => {
    t = await startTestHub({ tls: true, modules: [] });
    const otherDir = await dir();
    const other = await loadOrCreateTls(otherDir, { enabled: true, certFile: null, keyFile: null, caFile: null, names: [] });
    expect(other.caPem).not.toBe(t.ca);
    const stranger = new ApiClient(t.url, { ca: other.caPem ?? '' });
    await expect(stranger.get('/api/health')).rejects.toMatchObject({ code: expect.stringMatching(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/) });
    const publicOnly = new ApiClient(t.url, {});
    await expect(publicOnly.get('/api/health')).rejects.toMatchObject({ code: expect.stringMatching(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/) });
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}/api/ws`, { ca: other.caPem ?? '' });
    sockets.push(ws);
    const err = await new Promise<Error & { code?: string }>((resolve) => ws.once('error', resolve));
    expect(err.code).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
  });

  it('keeps its CA across restarts and serves a certificate the user brings', async () => {
    const dataDir = await dir();
    t = await startTestHub({ tls: true, modules: [], dataDir });
    const first = t.hub.tls?.fingerprint;
    await t.close();
    t = await startTestHub({ tls: true, modules: [], dataDir });
    expect(t.hub.tls?.fingerprint).toBe(first);
    await t.close();

    // Bring your own: another CA's files, named in http.tls.
    const own = await dir();
    const mine = await loadOrCreateTls(own, { enabled: true, certFile: null, keyFile: null, caFile: null, names: [] });
    t = await startTestHub({
      modules: [],
      config: {
        http: {
          redirectPort: 0,
          tls: {
            enabled: true,
            certFile: join(own, 'tls', 'server.crt'),
            keyFile: join(own, 'tls', 'server.key'),
            caFile: join(own, 'tls', 'ca.crt'),
          },
        },
      },
    });
    expect(t.hub.tls?.source).toBe('files');
    expect(t.hub.tls?.fingerprint).toBe(mine.fingerprint);
    const phone = new ApiClient(t.url, { ca: mine.caPem ?? '' });
    expect((await phone.get('/api/health')).status).toBe(200);
  });
});

describe('plain HTTP only by explicit config on loopback', () => {
  it('refuses tls.enabled false on a network bind and accepts it on 127.0.0.1', async () => {
    const { validateConfig } = await import('../../../hub/config/load.js');
    expect(() => validateConfig({ version: 1, http: { tls: { enabled: false } } })).toThrow(/http\.tls\.enabled.*loopback|only allowed/);
    expect(validateConfig({ version: 1, http: { host: '127.0.0.1', tls: { enabled: false } } }).http.tls.enabled).toBe(false);
    expect(() => validateConfig({ version: 1, http: { tls: { certFile: '/x.crt' } } })).toThrow(/certFile/);
  });
});
