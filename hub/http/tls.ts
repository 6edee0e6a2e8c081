/**
 * The hub's own certificate authority and server certificate. On first start the hub makes a CA
 * (10 years) and a server certificate it signs (397 days: phones refuse longer ones) for every
 * name and address the hub answers on. Keys are written 0600 in `<dataDir>/tls/`. The server
 * certificate is re-issued at start when it nears expiry or a new address appears; the CA stays,
 * so a phone that trusts it once keeps trusting the hub. With `http.tls.certFile`/`keyFile` the
 * user's own certificate is used instead and nothing is generated.
 */
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { HubError } from '../api/errors.js';
import type { HubConfig } from '../config/schema.js';
import { nameConstraintsExtension, permittedDnsNames, permittedName } from './tls-name-constraints.js';

// node-forge is CommonJS with one `module.exports` object (no static named exports for ESM).
const forge = createRequire(import.meta.url)('node-forge') as typeof import('node-forge');

const CA_DAYS = 3650;
const SERVER_DAYS = 397;
/** Re-issue the server certificate this long before it expires. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface TlsMaterial {
  key: string;
  cert: string;
  /** The CA to give phones (the hub's own, or the user's `caFile`); null when the user brought a cert with no CA file. */
  caPem: string | null;
  /** SHA-256 of the CA certificate (or of the server certificate when there is no CA), colon hex, as phones show it. */
  fingerprint: string;
  /** base64 SHA-256 of the server certificate's public key (Chromium's --ignore-certificate-errors-spki-list). */
  spkiSha256: string;
  notAfter: number;
  names: string[];
  source: 'generated' | 'files';
}

/** Host names and addresses the hub is reached on: its host name, `<name>.local`, loopback and every interface address. */
export function certificateNames(extra: readonly string[] = []): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1']);
  const host = hostname().toLowerCase();
  if (host) {
    names.add(host);
    if (!host.includes('.')) names.add(`${host}.local`);
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.address.startsWith('fe80')) names.add(a.address);
  }
  for (const e of extra) names.add(e.toLowerCase());
  return [...names].sort();
}

function isIp(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

function newKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function serial(): string {
  // Positive, 16 random bytes: the top bit cleared so DER does not read it as negative.
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

/** What the hub's CA may vouch for (kept next to it, so later server certificates stay inside). */
interface CaScope {
  dns: string[];
  ips: string[];
}

function makeCa(now: number, scope: CaScope): { keyPem: string; certPem: string } {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + CA_DAYS * 24 * 3600_000);
  const subject = [
    // Served to anyone on the Wi-Fi (the CA download, the TLS handshake): it names neither the
    // product nor the home, only a random tag so two hubs' CAs can be told apart.
    { name: 'commonName', value: `Home hub CA ${randomBytes(3).toString('hex')}` },
    { name: 'organizationName', value: 'Home hub' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    nameConstraintsExtension(scope.dns, scope.ips),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  return { keyPem: keys.privatePem, certPem: forge.pki.certificateToPem(cert) };
}

function makeServerCert(ca: { keyPem: string; certPem: string }, names: string[], now: number): { keyPem: string; certPem: string } {
  const keys = newKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + SERVER_DAYS * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: (names.find((n) => !isIp(n) && n !== 'localhost') ?? 'localhost').slice(0, 64) }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((n) => (isIp(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { keyPem: keys.privatePem, certPem: forge.pki.certificateToPem(cert) };
}

/** Writes a file so a power cut leaves the old one or the new one, never half of one. */
async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HubError('HUB_ERR_CONFIG_UNREADABLE', `cannot read ${path}`, { cause: err });
  }
}

export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

export function spkiSha256(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

function coversNames(cert: X509Certificate, names: string[]): boolean {
  const san = cert.subjectAltName ?? '';
  return names.every((n) => san.includes(isIp(n) ? `IP Address:${n.includes(':') ? '' : n}` : `DNS:${n}`));
}

function material(key: string, cert: string, caPem: string | null, source: TlsMaterial['source']): TlsMaterial {
  const x = new X509Certificate(cert);
  const names = (x.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  return {
    key,
    cert,
    caPem,
    fingerprint: fingerprintOf(caPem ?? cert),
    spkiSha256: spkiSha256(cert),
    notAfter: Date.parse(x.validTo),
    names,
    source,
  };
}

export function tlsDir(dataDir: string): string {
  return join(dataDir, 'tls');
}

/** The certificate and key the HTTPS server uses: the user's files, or the hub's own (made or renewed here). */
export async function loadOrCreateTls(
  dataDir: string,
  tls: Readonly<HubConfig['http']['tls']>,
  now: number = Date.now(),
): Promise<TlsMaterial> {
  if (tls.certFile && tls.keyFile) {
    const [cert, key] = [await readIfExists(tls.certFile), await readIfExists(tls.keyFile)];
    if (!cert || !key) throw new HubError('HUB_ERR_CONFIG_INVALID', `http.tls: ${!cert ? tls.certFile : tls.keyFile} does not exist`);
    const ca = tls.caFile ? await readIfExists(tls.caFile) : null;
    try {
      return material(key, cert, ca, 'files');
    } catch (err) {
      throw new HubError('HUB_ERR_CONFIG_INVALID', `http.tls.certFile: ${tls.certFile} is not a PEM certificate`, { cause: err });
    }
  }
  const dir = tlsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = {
    caKey: join(dir, 'ca.key'),
    caCert: join(dir, 'ca.crt'),
    caScope: join(dir, 'ca-scope.json'),
    key: join(dir, 'server.key'),
    cert: join(dir, 'server.crt'),
  };
  let caKey = await readIfExists(paths.caKey);
  let caCert = await readIfExists(paths.caCert);
  const scopeText = await readIfExists(paths.caScope);
  let scope: CaScope | null = scopeText ? (JSON.parse(scopeText) as CaScope) : null;
  if (!caKey || !caCert || !scope) {
    scope = { dns: permittedDnsNames(hostname(), tls.names), ips: tls.names.filter((n) => isIp(n)) };
    const ca = makeCa(now, scope);
    await writeAtomic(paths.caScope, JSON.stringify(scope), 0o644);
    await writeAtomic(paths.caKey, ca.keyPem, 0o600);
    await writeAtomic(paths.caCert, ca.certPem, 0o644);
    caKey = ca.keyPem;
    caCert = ca.certPem;
  }
  const caScope = scope;
  // A name outside the CA's constraints would make phones reject the whole certificate: leave it out.
  const names = certificateNames(tls.names).filter((n) => permittedName(n, caScope.dns, caScope.ips));
  let key = await readIfExists(paths.key);
  let cert = await readIfExists(paths.cert);
  const usable = (() => {
    if (!key || !cert) return false;
    const x = new X509Certificate(cert);
    return x.verify(new X509Certificate(caCert).publicKey) && Date.parse(x.validTo) - now > RENEW_BEFORE_MS && coversNames(x, names);
  })();
  if (!usable) {
    const made = makeServerCert({ keyPem: caKey, certPem: caCert }, names, now);
    await writeAtomic(paths.key, made.keyPem, 0o600);
    await writeAtomic(paths.cert, made.certPem, 0o644);
    key = made.keyPem;
    cert = made.certPem;
  }
  return material(key as string, cert as string, caCert, 'generated');
}

/** What the owner's and installer's screens show: the fingerprint to compare, and where the phone gets the CA. */
export interface TlsSummary {
  enabled: boolean;
  fingerprint: string | null;
  notAfter: number | null;
  names: string[];
  source: TlsMaterial['source'] | null;
}

/** Reads the certificate the hub serves (from disk, so no running-server handle is needed). */
export async function tlsSummary(dataDir: string, tls: Readonly<HubConfig['http']['tls']>): Promise<TlsSummary> {
  if (!tls.enabled) return { enabled: false, fingerprint: null, notAfter: null, names: [], source: null };
  const certPath = tls.certFile ?? join(tlsDir(dataDir), 'server.crt');
  const caPath = tls.certFile ? tls.caFile : join(tlsDir(dataDir), 'ca.crt');
  const cert = await readIfExists(certPath);
  if (!cert) return { enabled: true, fingerprint: null, notAfter: null, names: [], source: null };
  const m = material('', cert, caPath ? await readIfExists(caPath) : null, tls.certFile ? 'files' : 'generated');
  return { enabled: true, fingerprint: m.fingerprint, notAfter: m.notAfter, names: m.names, source: m.source };
}
