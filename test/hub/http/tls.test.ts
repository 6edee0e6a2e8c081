import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
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
    const caFile = await plain.get<string>('/hub-ca.crt');
    expect(caFile.status).toBe(200);
    expect(caFile.body).toBe(t.ca);
    const fp = await plain.get<string>('/hub-ca.txt');
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

describe("the hub's CA can only vouch for the hub", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  /** Sign a server certificate for `name` with the hub CA's own key (what a thief of the hub could do). */
  function forgeLeaf(caKeyPem: string, caCertPem: string, name: string): { key: string; cert: string } {
    const forge = createRequire(import.meta.url)('node-forge') as typeof import('node-forge');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const ca = forge.pki.certificateFromPem(caCertPem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
    cert.serialNumber = '0a1b2c';
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
    cert.setSubject([{ name: 'commonName', value: name }]);
    cert.setIssuer(ca.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: name }] },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(caKeyPem), forge.md.sha256.create());
    return { key: privateKey, cert: forge.pki.certificateToPem(cert) };
  }

  async function handshake(leaf: { key: string; cert: string }, ca: string, name: string): Promise<string> {
    const server = createTlsServer({ key: leaf.key, cert: leaf.cert }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      return await new Promise<string>((resolve) => {
        const sock = tlsConnect({ host: '127.0.0.1', port, ca, servername: name }, () => {
          sock.end();
          resolve('ok');
        });
        sock.once('error', (err: Error & { code?: string }) => resolve(`${err.code ?? ''} ${err.message}`));
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  it('a certificate its key signs for a public website is refused by a client that trusts the CA', async () => {
    const d = await tempDir();
    dirs.push(d);
    const tls = await loadOrCreateTls(d, { enabled: true, certFile: null, keyFile: null, caFile: null, names: [] });
    const caKey = await readFile(join(d, 'tls', 'ca.key'), 'utf8');
    const ca = tls.caPem ?? '';
    expect(await handshake(forgeLeaf(caKey, ca, 'hub.local'), ca, 'hub.local')).toBe('ok');
    expect(await handshake(forgeLeaf(caKey, ca, 'bank.example.com'), ca, 'bank.example.com')).toMatch(/permitted subtree violation/i);
    // The hub's own certificate carries only names inside the constraints.
    const local = new BlockList();
    for (const [net, prefix] of [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
      ['127.0.0.0', 8],
      ['169.254.0.0', 16],
    ] as const)
      local.addSubnet(net, prefix, 'ipv4');
    for (const [net, prefix] of [
      ['fc00::', 7],
      ['fe80::', 10],
      ['::1', 128],
    ] as const)
      local.addSubnet(net, prefix, 'ipv6');
    for (const n of tls.names) {
      const family = isIP(n);
      if (family) expect(local.check(n, family === 4 ? 'ipv4' : 'ipv6'), n).toBe(true);
      else expect(n, n).toMatch(/^(localhost|[^.]+|.+\.local)$/);
    }
  });
});
