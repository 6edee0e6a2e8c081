/**
 * Camera passwords never reach a child's command line: every ffmpeg (ingest, live view, still
 * grab) is given a credential-free `rtsp://127.0.0.1:<port>/<token>/...` URL, and this relay,
 * inside the hub process, forwards the RTSP conversation to the camera and answers its Basic or
 * Digest challenge with the stored credentials.
 *
 * Why a relay rather than another way into ffmpeg: ffmpeg's RTSP demuxer takes credentials only
 * in the URL (no option, file or environment variable for them), and node-rtsp-stream's muxer
 * builds `-i <url>` itself; `/proc/<pid>/cmdline` is readable by every local user. The relay
 * works with any ffmpeg and any spawner. The token in the URL is not a credential on its own:
 * the relay accepts only connections from sockets owned by the hub's own Unix user (looked up in
 * /proc/net/tcp), so another local user who reads the URL from `ps` cannot use it. A lease ends
 * when its ffmpeg is no longer wanted; its token then stops working.
 *
 * RTP over the RTSP connection (TCP interleaved) passes through; with UDP the camera sends RTP
 * to the hub's address, which is where ffmpeg listens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describeError, HubError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';

export interface RelayLease {
  /** Credential-free loopback URL to give to ffmpeg. */
  url: string;
  release(): void;
}

interface Upstream {
  tls: boolean;
  host: string;
  port: number;
  username: string;
  password: string;
}

/** Longest RTSP header block or body the relay buffers (SDP is a few KiB). */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** Split `rtsp://user:pass@host/path` into the URL without user info and the credentials. */
export function splitCredentials(url: string): { url: string; username: string | null; password: string | null } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url, username: null, password: null };
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

export class RtspAuthRelay {
  private server: Server | null = null;
  private port = 0;
  private readonly leases = new Map<string, Upstream>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly log: Logger,
    /** Which local user may connect (default: the hub's own); tests pass a different one to see refusal. */
    private readonly allowedUid: number | null = typeof process.getuid === 'function' ? process.getuid() : null,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.on('error', (err) => this.log.error({ err: describeError(err) }, 'RTSP credential relay error'));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /**
   * A URL for ffmpeg that reaches `url` with these credentials (user info in `url` counts as
   * credentials too). Without credentials the URL is returned as it is and nothing is relayed.
   */
  lease(url: string, username: string | null, password: string | null): RelayLease {
    const split = splitCredentials(url);
    const user = username || split.username;
    const pass = username ? password : split.password;
    if (!user) return { url: split.url, release: () => undefined };
    if (!this.server) throw new HubError('HUB_ERR_INTERNAL', 'the RTSP credential relay is not started');
    const u = new URL(split.url);
    const tls = u.protocol === 'rtsps:';
    const token = randomBytes(16).toString('hex');
    this.leases.set(token, {
      tls,
      host: u.hostname,
      port: u.port ? Number(u.port) : tls ? 322 : 554,
      username: user,
      password: pass ?? '',
    });
    const local = `rtsp://127.0.0.1:${this.port}/${token}${u.pathname === '/' ? '/' : u.pathname}${u.search}`;
    return { url: local, release: () => this.leases.delete(token) };
  }

  async stop(): Promise<void> {
    this.leases.clear();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', (err) => this.log.debug({ err: describeError(err) }, 'relay client socket error'));
    client.pause();
    peerUid(client).then(
      (uid) => {
        if (this.allowedUid !== null && uid !== this.allowedUid) {
          this.log.warn({ uid }, 'RTSP relay refused a connection from another local user');
          client.destroy();
          return;
        }
        new RelaySession(client, this.leases, `rtsp://127.0.0.1:${this.port}/`, this.log).begin();
      },
      (err: unknown) => {
        this.log.error({ err: describeError(err) }, 'RTSP relay cannot tell who connected; refused');
        client.destroy();
      },
    );
  }
}

/** The Unix user owning the other end of a loopback TCP connection (Linux /proc/net/tcp). */
async function peerUid(socket: Socket): Promise<number | null> {
  const hexPort = (p: number | undefined) => (p ?? 0).toString(16).toUpperCase().padStart(4, '0');
  const theirs = `0100007F:${hexPort(socket.remotePort)}`;
  const ours = `0100007F:${hexPort(socket.localPort)}`;
  const table = await readFile('/proc/net/tcp', 'utf8');
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === theirs && f[2] === ours) return Number(f[7]);
  }
  return null;
}

export interface Challenge {
  scheme: 'basic' | 'digest';
  realm: string;
  nonce: string;
  opaque: string | null;
  qop: string | null;
  algorithm: string | null;
}

interface Message {
  head: string;
  body: Buffer;
}

/** Reads RTSP messages and `$`-framed interleaved packets from one direction of a connection. */
class Framer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly onMessage: (m: Message) => void,
    private readonly onBinary: (frame: Buffer) => void,
    private readonly onError: (why: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length === 0) return;
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) return;
        const len = 4 + this.buf.readUInt16BE(2);
        if (this.buf.length < len) return;
        this.onBinary(this.buf.subarray(0, len));
        this.buf = this.buf.subarray(len);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > MAX_MESSAGE_BYTES) this.onError('RTSP header block too long');
        return;
      }
      const head = this.buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (length > MAX_MESSAGE_BYTES) {
        this.onError('RTSP body too long');
        return;
      }
      if (this.buf.length < end + 4 + length) return;
      const body = Buffer.from(this.buf.subarray(end + 4, end + 4 + length));
      this.buf = this.buf.subarray(end + 4 + length);
      this.onMessage({ head, body });
    }
  }
}

class RelaySession {
  private upstream: Socket | null = null;
  private target: Upstream | null = null;
  private prefix = '';
  private challenge: Challenge | null = null;
  private nc = 0;
  /** Requests sent without (or with stale) credentials, by CSeq, so a 401 can be answered. */
  private readonly retryable = new Map<string, Message>();
  private readonly early: Message[] = [];

  constructor(
    private readonly client: Socket,
    private readonly leases: Map<string, Upstream>,
    private readonly base: string,
    private readonly log: Logger,
  ) {}

  begin(): void {
    const fromClient = new Framer(
      (m) => this.fromClient(m),
      (frame) => this.upstream?.write(frame),
      (why) => this.fail(why),
    );
    this.client.on('data', (chunk: Buffer) => fromClient.push(chunk));
    this.client.on('close', () => this.upstream?.destroy());
    this.client.resume();
  }

  private fail(why: string): void {
    this.log.warn({ why }, 'RTSP relay closed a connection');
    this.client.destroy();
    this.upstream?.destroy();
  }

  private fromClient(m: Message): void {
    if (!this.target) {
      const uri = /^\S+ (\S+) RTSP\//.exec(m.head)?.[1] ?? '';
      const token = uri.startsWith(this.base) ? uri.slice(this.base.length).split('/')[0] : undefined;
      const target = token ? this.leases.get(token) : undefined;
      if (!target || !token) {
        this.client.end(`RTSP/1.0 404 Not Found\r\nCSeq: ${cseqOf(m.head)}\r\n\r\n`);
        return;
      }
      this.target = target;
      this.prefix = `${this.base}${token}`;
      this.early.push(m);
      this.connectUpstream(target);
      return;
    }
    if (!this.upstream || this.upstream.connecting) this.early.push(m);
    else this.send(m);
  }

  private connectUpstream(t: Upstream): void {
    const socket = t.tls
      ? // Cameras serve self-signed certificates; ffmpeg does not verify them by default either.
        tlsConnect({ host: t.host, port: t.port, rejectUnauthorized: false })
      : tcpConnect({ host: t.host, port: t.port });
    this.upstream = socket;
    socket.on(t.tls ? 'secureConnect' : 'connect', () => {
      for (const m of this.early.splice(0)) this.send(m);
    });
    const fromCamera = new Framer(
      (m) => this.fromCamera(m),
      (frame) => this.client.write(frame),
      (why) => this.fail(why),
    );
    socket.on('data', (chunk: Buffer) => fromCamera.push(chunk));
    socket.on('error', (err) => this.log.debug({ host: t.host, port: t.port, err: describeError(err) }, 'relay camera socket error'));
    socket.on('close', () => this.client.end());
  }

  private send(m: Message): void {
    const t = this.target;
    if (!t || !this.upstream) return;
    const cameraBase = `${t.tls ? 'rtsps' : 'rtsp'}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
    const lines = m.head.split('\r\n').filter((l) => !/^authorization:/i.test(l));
    const first = lines[0] ?? '';
    const [method = '', uri = '', version = 'RTSP/1.0'] = first.split(' ');
    const realUri = uri.startsWith(this.prefix) ? `${cameraBase}${uri.slice(this.prefix.length) || '/'}` : uri;
    lines[0] = `${method} ${realUri} ${version}`;
    const msg: Message = { head: lines.join('\r\n'), body: m.body };
    const auth = this.authorization(method, realUri);
    this.retryable.set(cseqOf(msg.head), msg);
    this.write(auth ? withHeader(msg, `Authorization: ${auth}`) : msg);
  }

  private write(m: Message): void {
    this.upstream?.write(Buffer.concat([Buffer.from(`${m.head}\r\n\r\n`, 'latin1'), m.body]));
  }

  private fromCamera(m: Message): void {
    const status = /^RTSP\/\d\.\d (\d{3})/.exec(m.head)?.[1];
    if (status === undefined) {
      this.client.write(Buffer.concat([Buffer.from(`${m.head}\r\n\r\n`, 'latin1'), m.body]));
      return;
    }
    const cseq = cseqOf(m.head);
    const pending = this.retryable.get(cseq);
    this.retryable.delete(cseq);
    if (status === '401' && pending && this.target) {
      const challenge = parseChallenge(m.head);
      // Retry once per fresh challenge; a second refusal (wrong password) goes to ffmpeg as is.
      const stale = challenge !== null && (this.challenge === null || /stale\s*=\s*"?true/i.test(m.head));
      if (challenge && stale) {
        this.challenge = challenge;
        this.nc = 0;
        const [method = '', uri = ''] = (pending.head.split('\r\n')[0] ?? '').split(' ');
        const auth = this.authorization(method, uri);
        if (auth) {
          this.write(withHeader(pending, `Authorization: ${auth}`));
          return;
        }
      }
    }
    this.client.write(Buffer.concat([Buffer.from(`${m.head}\r\n\r\n`, 'latin1'), m.body]));
  }

  private authorization(method: string, uri: string): string | null {
    const c = this.challenge;
    const t = this.target;
    if (!c || !t) return null;
    if (c.scheme === 'digest') this.nc += 1;
    return answerChallenge(c, { method, uri, username: t.username, password: t.password, nc: this.nc });
  }
}

/** The Authorization header value answering a challenge (RFC 7617 Basic, RFC 2617 Digest MD5). */
export function answerChallenge(
  c: Challenge,
  r: { method: string; uri: string; username: string; password: string; nc: number; cnonce?: string },
): string {
  if (c.scheme === 'basic') return `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`;
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const ha1 = md5(`${r.username}:${c.realm}:${r.password}`);
  const ha2 = md5(`${r.method}:${r.uri}`);
  const parts = [`username="${r.username}"`, `realm="${c.realm}"`, `nonce="${c.nonce}"`, `uri="${r.uri}"`];
  if (c.qop?.split(',').some((q) => q.trim() === 'auth')) {
    const nc = r.nc.toString(16).padStart(8, '0');
    const cnonce = r.cnonce ?? randomBytes(8).toString('hex');
    parts.push(`response="${md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`, 'qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  } else parts.push(`response="${md5(`${ha1}:${c.nonce}:${ha2}`)}"`);
  if (c.opaque !== null) parts.push(`opaque="${c.opaque}"`);
  if (c.algorithm) parts.push(`algorithm=${c.algorithm}`);
  return `Digest ${parts.join(', ')}`;
}

function cseqOf(head: string): string {
  return /\r\ncseq:\s*(\S+)/i.exec(head)?.[1] ?? '0';
}

function withHeader(m: Message, header: string): Message {
  return { head: `${m.head}\r\n${header}`, body: m.body };
}

/** The strongest challenge offered: Digest (MD5) before Basic. */
export function parseChallenge(head: string): Challenge | null {
  return pickChallenge([...head.matchAll(/\r\nwww-authenticate:\s*([^\r\n]+)/gi)].map((x) => x[1] ?? ''));
}

/** From the WWW-Authenticate values a server sent, the one to answer. */
export function pickChallenge(offers: string[]): Challenge | null {
  const param = (s: string, k: string) => new RegExp(`${k}\\s*=\\s*(?:"([^"]*)"|([^,\\s]+))`, 'i').exec(s);
  const value = (s: string, k: string) => {
    const m = param(s, k);
    return m ? (m[1] ?? m[2] ?? '') : null;
  };
  const digest = offers.find((o) => /^digest\s/i.test(o) && /^(md5)?$/i.test(value(o, 'algorithm') ?? ''));
  if (digest) {
    return {
      scheme: 'digest',
      realm: value(digest, 'realm') ?? '',
      nonce: value(digest, 'nonce') ?? '',
      opaque: value(digest, 'opaque'),
      qop: value(digest, 'qop'),
      algorithm: value(digest, 'algorithm'),
    };
  }
  const basic = offers.find((o) => /^basic/i.test(o));
  if (basic) return { scheme: 'basic', realm: value(basic, 'realm') ?? '', nonce: '', opaque: null, qop: null, algorithm: null };
  return null;
}
