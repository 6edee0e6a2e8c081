/**
 * A push service on loopback that speaks RFC 8030, for the Web Push tests: HTTPS (its own CA,
 * which the hub is told to trust), `POST /push/<id>` per subscription, 201 with a Location on
 * success. For every request it checks what a real push service checks and decrypts what only the
 * browser could:
 *
 * - the VAPID JWT (RFC 8292): `Authorization: vapid t=<jwt>, k=<key>`, ES256 over the key in `k`,
 *   which must be the hub's application server key; `aud` the endpoint's origin; `exp` in the future
 *   and at most 24 h away; `sub` a mailto: or https: contact;
 * - `TTL` (required), `Urgency` and `Topic` headers (RFC 8030 §5.2-5.4);
 * - the payload (RFC 8291, `Content-Encoding: aes128gcm`, RFC 8188 records), decrypted with the
 *   subscription's private key, which `subscribe()` makes as a browser does (P-256 ECDH key pair
 *   and a 16-byte auth secret), using node:crypto only.
 *
 * A request that fails a check is answered 400/403 and recorded in `rejected`, so a test sees it.
 * `respond` lets a test answer with anything (410 Gone, 503, ...) instead.
 */
import { createDecipheriv, createECDH, createPublicKey, type ECDH, hkdfSync, randomBytes, randomUUID, verify } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { validateConfig } from '../../hub/config/load.js';
import { loadOrCreateTls } from '../../hub/http/tls.js';
import { tempDir, testConfig } from './hub.js';

export interface BrowserSubscription {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  subscriptionId: string;
  at: number;
  ttl: number;
  urgency: string | null;
  topic: string | null;
  claims: { aud: string; exp: number; sub: string };
  /** The decrypted payload, parsed as JSON. */
  payload: Record<string, unknown>;
  /** The decrypted bytes as text (what the service worker gets as `event.data.text()`). */
  text: string;
}

interface Sub {
  ecdh: ECDH;
  auth: Buffer;
}

export class PushServiceTestPeer {
  private server: Server | null = null;
  private dir = '';
  private readonly subs = new Map<string, Sub>();
  port = 0;
  /** PEM of the CA that signed this peer's certificate. */
  ca = '';
  agent: Agent | null = null;
  readonly received: ReceivedPush[] = [];
  readonly rejected: Array<{ subscriptionId: string; status: number; why: string }> = [];
  /** Answer a request instead of accepting it: return a status, or null to accept. */
  respond: ((subscriptionId: string, n: number) => number | null) | null = null;
  private requests = 0;

  /** `appServerKey`: the hub's VAPID public key (base64url); requests signed by any other are refused. */
  constructor(private appServerKey: () => string | null = () => null) {}

  setAppServerKey(key: string): void {
    this.appServerKey = () => key;
  }

  get origin(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    if (!this.dir) {
      this.dir = await tempDir('push-service-');
      const tls = await loadOrCreateTls(this.dir, validateConfig(testConfig({}, true)).http.tls);
      this.ca = tls.caPem ?? tls.cert;
      this.agent = new Agent({ ca: this.ca, keepAlive: false });
      this.tls = { key: tls.key, cert: tls.cert };
    }
    const server = createServer({ key: this.tls?.key, cert: this.tls?.cert }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port || this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private tls: { key: string; cert: string } | null = null;

  /** A subscription as `PushManager.subscribe()` makes it: a fresh P-256 key pair and auth secret. */
  subscribe(): BrowserSubscription & { id: string } {
    const id = randomUUID();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.subs.set(id, { ecdh, auth });
    return {
      id,
      endpoint: `${this.origin}/push/${id}`,
      expirationTime: null,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    };
  }

  for(subscriptionId: string): ReceivedPush[] {
    return this.received.filter((r) => r.subscriptionId === subscriptionId);
  }

  async waitFor(pred: (p: PushServiceTestPeer) => boolean, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred(this)) {
      if (Date.now() > end)
        throw new Error(
          `push service: condition not met within ${timeoutMs} ms; received ${JSON.stringify(this.received.map((r) => r.payload)).slice(0, 600)}; rejected ${JSON.stringify(this.rejected)}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const m = /^\/push\/([0-9a-f-]{36})$/.exec(req.url ?? '');
    const id = m?.[1] ?? '';
    const reject = (status: number, why: string) => {
      this.rejected.push({ subscriptionId: id, status, why });
      res.statusCode = status;
      res.end(why);
    };
    if (req.method !== 'POST') return reject(405, 'POST only');
    const sub = this.subs.get(id);
    if (!sub) return reject(404, 'no such subscription');
    const n = ++this.requests;
    const forced = this.respond?.(id, n) ?? null;
    if (forced !== null) {
      res.statusCode = forced;
      res.end();
      return;
    }
    const ttlHeader = req.headers.ttl;
    if (typeof ttlHeader !== 'string' || !/^\d+$/.test(ttlHeader)) return reject(400, 'TTL header missing (RFC 8030 §5.2)');
    const urgency = (req.headers.urgency as string | undefined) ?? null;
    if (urgency !== null && !['very-low', 'low', 'normal', 'high'].includes(urgency)) return reject(400, `bad Urgency ${urgency}`);
    const topic = (req.headers.topic as string | undefined) ?? null;
    if (topic !== null && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) return reject(400, `bad Topic ${topic}`);
    if (req.headers['content-encoding'] !== 'aes128gcm') return reject(415, 'Content-Encoding must be aes128gcm');

    let claims: ReceivedPush['claims'];
    try {
      claims = this.checkVapid(String(req.headers.authorization ?? ''));
    } catch (err) {
      return reject(403, (err as Error).message);
    }
    let text: string;
    try {
      text = decryptAes128gcm(body, sub.ecdh, sub.auth).toString('utf8');
    } catch (err) {
      return reject(400, `cannot decrypt: ${(err as Error).message}`);
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(text) as Record<string, unknown>;
    } catch {
      payload = { text };
    }
    this.received.push({ subscriptionId: id, at: Date.now(), ttl: Number(ttlHeader), urgency, topic, claims, payload, text });
    res.statusCode = 201;
    res.setHeader('location', `${this.origin}/message/${randomUUID()}`);
    res.end();
  }

  private checkVapid(header: string): ReceivedPush['claims'] {
    const m = /^vapid t=([A-Za-z0-9_\-.]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
    if (!m?.[1] || !m[2]) throw new Error(`Authorization is not "vapid t=..., k=..." (RFC 8292 §3): ${header.slice(0, 40)}`);
    const [jwt, k] = [m[1], m[2]];
    const expected = this.appServerKey();
    if (expected && k !== expected) throw new Error('k is not the application server key this subscription was made with');
    const [h, c, s] = jwt.split('.');
    if (!h || !c || !s) throw new Error('malformed JWT');
    const header_ = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    if (header_.alg !== 'ES256') throw new Error(`JWT alg ${header_.alg}, expected ES256`);
    const point = Buffer.from(k, 'base64url');
    if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      format: 'jwk',
    });
    const ok = verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    if (!ok) throw new Error('JWT signature does not verify against k');
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as ReceivedPush['claims'];
    if (claims.aud !== this.origin) throw new Error(`aud ${claims.aud} is not ${this.origin}`);
    const now = Math.floor(Date.now() / 1000);
    if (!(claims.exp > now) || claims.exp > now + 24 * 3600) throw new Error(`exp ${claims.exp} is not within 24 h from now`);
    if (!/^(mailto:|https:)/.test(claims.sub ?? '')) throw new Error(`sub ${claims.sub} is not a mailto: or https: contact`);
    return claims;
  }

  /** Stop listening (the push service is unreachable); `start()` again reopens on the same port. */
  async pause(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.pause();
    this.agent?.destroy();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * RFC 8291 §3.4 / RFC 8188: the header (salt, record size, key id = the sender's ephemeral
 * public key), the ECDH secret with the subscription's private key, the auth secret mixed in,
 * then AES-128-GCM records with the padding delimiter.
 */
export function decryptAes128gcm(body: Buffer, ua: ECDH, authSecret: Buffer): Buffer {
  if (body.length < 21) throw new Error('shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20] ?? 0;
  if (idlen !== 65) throw new Error(`key id length ${idlen}, expected 65 (the sender's P-256 key)`);
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (rs < 18) throw new Error(`record size ${rs} too small`);
  const uaPublic = ua.getPublicKey();
  const ecdhSecret = ua.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0', 'latin1'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0', 'latin1'), 16));
  const baseNonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0', 'latin1'), 12));
  const out: Buffer[] = [];
  let seq = 0;
  for (let off = 0; off < ciphertext.length; off += rs, seq++) {
    const record = ciphertext.subarray(off, Math.min(off + rs, ciphertext.length));
    const nonce = Buffer.from(baseNonce);
    // The record sequence number XORed into the nonce's last bytes (RFC 8188 §2.3; few records here).
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
    const d = createDecipheriv('aes-128-gcm', cek, nonce);
    d.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([d.update(record.subarray(0, record.length - 16)), d.final()]);
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    const last = off + rs >= ciphertext.length;
    const delimiter = plain[end];
    if (delimiter !== (last ? 2 : 1)) throw new Error(`record ${seq}: padding delimiter ${delimiter}, expected ${last ? 2 : 1}`);
    out.push(plain.subarray(0, end));
  }
  return Buffer.concat(out);
}
