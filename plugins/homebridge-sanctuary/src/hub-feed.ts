/**
 * The hub's live event feed (`/api/ws`) kept open for as long as the platform runs: reconnects
 * with backoff, detects a dead link with pings, and on every (re)connect lets the platform re-read
 * the hub's state over HTTP so nothing missed while the link was down stays stale.
 */
import { WebSocket } from 'ws';
import { Backoff } from './backoff.js';
import { describeError } from './errors.js';
import { parseFeedMessage } from './hub-types.js';

export interface FeedLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface FeedHandlers {
  /** The socket is open: re-read the hub's state. A rejection drops the connection and retries. */
  onOpen(): Promise<void>;
  onEvent(name: string, event: Record<string, unknown>): void;
  /** The hub became unreachable (called once per outage). */
  onDown(reason: string): void;
}

export interface FeedOptions {
  hubUrl: string;
  headers: Record<string, string>;
  initialDelayMs: number;
  maxDelayMs: number;
  /** A ping goes out this often; no pong by the next one means the link is dead. */
  heartbeatMs?: number;
}

export class HubFeed {
  private socket: WebSocket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = true;
  private up = false;
  private readonly backoff: Backoff;

  constructor(
    private readonly opts: FeedOptions,
    private readonly handlers: FeedHandlers,
    private readonly log: FeedLog,
  ) {
    this.backoff = new Backoff(opts.initialDelayMs, opts.maxDelayMs);
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.dropSocket();
  }

  get connected(): boolean {
    return this.up;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = `${this.opts.hubUrl.replace(/^http/, 'ws')}/api/ws`;
    const ws = new WebSocket(url, { headers: this.opts.headers, handshakeTimeout: 10_000 });
    this.socket = ws;
    let alive = true;
    ws.on('open', () => {
      this.heartbeat = setInterval(() => {
        if (!alive) {
          this.log.warn('the hub stopped answering pings: reconnecting');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, this.opts.heartbeatMs ?? 15_000);
      this.handlers.onOpen().then(
        () => {
          if (this.socket !== ws) return;
          if (!this.up) this.log.info(`connected to the hub at ${this.opts.hubUrl}`);
          this.up = true;
          this.backoff.reset();
        },
        (err: unknown) => this.lost(ws, `reading the hub's state failed: ${describeError(err)}`),
      );
    });
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data) => {
      alive = true;
      let msg: ReturnType<typeof parseFeedMessage>;
      try {
        msg = parseFeedMessage(data.toString());
      } catch (err) {
        this.log.warn(`ignored a feed message: ${describeError(err)}`);
        return;
      }
      if (msg.type === 'event') this.handlers.onEvent(msg.name, msg.event);
    });
    ws.on('unexpected-response', (_req, res) => {
      const hint = res.statusCode === 401 ? ' (the hub refused the token: issue a new one)' : '';
      this.lost(ws, `the hub refused the event feed with HTTP ${res.statusCode}${hint}`);
    });
    ws.on('error', (err) => {
      this.lost(ws, err.message);
    });
    ws.on('close', (code, reason) => {
      const why =
        code === 4403
          ? 'the token lacks the "events:read" scope'
          : code === 4401
            ? 'the hub refused the token (revoked or expired: issue a new one)'
            : `closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
      this.lost(ws, why);
    });
  }

  /** Called for each way a socket can end; acts once per socket. */
  private lost(ws: WebSocket, reason: string): void {
    if (this.socket !== ws) return;
    const wasUp = this.up;
    this.dropSocket();
    if (this.stopped) return;
    if (wasUp) {
      this.log.warn(`lost the hub: ${reason}`);
      this.handlers.onDown(reason);
    } else if (this.backoff.attempts === 0) {
      this.log.warn(`cannot reach the hub at ${this.opts.hubUrl}: ${reason}`);
      this.handlers.onDown(reason);
    } else {
      this.log.debug(`hub still unreachable: ${reason}`);
    }
    const delay = this.backoff.next();
    this.log.debug(`reconnecting in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private dropSocket(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const ws = this.socket;
    this.socket = null;
    this.up = false;
    if (ws) {
      ws.removeAllListeners('open');
      ws.removeAllListeners('message');
      // Keep an error listener: a socket torn down mid-handshake may still emit one.
      ws.removeAllListeners('error');
      ws.on('error', (err) => this.log.debug(`closed socket reported: ${err.message}`));
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
    }
  }
}
