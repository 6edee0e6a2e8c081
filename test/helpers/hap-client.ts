/**
 * A small HomeKit controller for tests: plain HAP over HTTP/1.1 on one kept-alive TCP socket, for a
 * Homebridge started with `-I` (insecure mode answers unpaired, unencrypted requests). Node's HTTP
 * client cannot be used: HAP pushes notifications on the same socket as `EVENT/1.0 200 OK`
 * messages between responses, so this client parses the stream itself. Insecure mode still wants
 * the setup code in an `Authorization` header on writes (`PUT /characteristics`).
 */
import { connect, type Socket } from 'node:net';

export interface HapCharacteristic {
  aid: number;
  iid: number;
  /** Short HAP type, e.g. `6A` for ContactSensorState. */
  type: string;
  perms: string[];
  format: string;
  value?: unknown;
  'valid-values'?: number[];
}

export interface HapService {
  iid: number;
  type: string;
  characteristics: HapCharacteristic[];
}

export interface HapAccessory {
  aid: number;
  services: HapService[];
}

export interface HapResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface HapEventValue {
  aid: number;
  iid: number;
  value: unknown;
}

/** Short HAP type codes used by the tests (HAP spec; hap-nodejs sends Apple types in short form). */
export const HapType = {
  Name: '23',
  SecuritySystem: '7E',
  SecuritySystemCurrentState: '66',
  SecuritySystemTargetState: '67',
  ContactSensor: '80',
  ContactSensorState: '6A',
  StatusFault: '77',
  StatusTampered: '7A',
  StatusLowBattery: '79',
  Doorbell: '121',
  ProgrammableSwitchEvent: '73',
  OccupancySensor: '86',
  OccupancyDetected: '71',
} as const;

interface Pending {
  resolve(r: HapResponse): void;
  reject(err: Error): void;
}

export class HapClient {
  private buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** Every notification received, in order. */
  readonly events: HapEventValue[] = [];
  private readonly waiters = new Set<() => void>();
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
    private readonly pin: string | null,
  ) {
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('HAP connection closed')));
  }

  /** `pin` is the bridge's setup code (123-45-678), needed for writes and subscriptions. */
  static connect(host: string, port: number, pin: string | null = null): Promise<HapClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new HapClient(socket, `${host}:${port}`, pin));
      });
    });
  }

  /** Send one request; requests are serialised, as HAP allows one outstanding request per connection. */
  request(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<HapResponse> {
    const run = () =>
      new Promise<HapResponse>((resolve, reject) => {
        if (this.closedError) {
          reject(this.closedError);
          return;
        }
        const payload = body === undefined ? '' : JSON.stringify(body);
        const head = [`${method} ${path} HTTP/1.1`, `Host: ${this.host}`];
        if (this.pin) head.push(`Authorization: ${this.pin}`);
        if (body !== undefined) head.push('Content-Type: application/hap+json', `Content-Length: ${Buffer.byteLength(payload)}`);
        this.pending.push({ resolve, reject });
        this.socket.write(`${head.join('\r\n')}\r\n\r\n${payload}`);
      });
    const next = this.queue.then(run, run);
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  async accessories(): Promise<HapAccessory[]> {
    const r = await this.request('GET', '/accessories');
    if (r.status !== 200) throw new Error(`GET /accessories answered ${r.status}: ${JSON.stringify(r.body)}`);
    return (r.body as { accessories: HapAccessory[] }).accessories;
  }

  async read(aid: number, iid: number): Promise<unknown> {
    const r = await this.request('GET', `/characteristics?id=${aid}.${iid}`);
    if (r.status !== 200) throw new Error(`GET /characteristics answered ${r.status}: ${JSON.stringify(r.body)}`);
    return (r.body as { characteristics: Array<{ value: unknown }> }).characteristics[0]?.value;
  }

  /** Write a value; answers 204 on success, 207 with a per-characteristic status otherwise. */
  write(aid: number, iid: number, value: unknown): Promise<HapResponse> {
    return this.request('PUT', '/characteristics', { characteristics: [{ aid, iid, value }] });
  }

  async subscribe(chars: Array<{ aid: number; iid: number }>): Promise<void> {
    const r = await this.request('PUT', '/characteristics', { characteristics: chars.map((c) => ({ aid: c.aid, iid: c.iid, ev: true })) });
    if (r.status !== 204) throw new Error(`subscribing answered ${r.status}: ${JSON.stringify(r.body)}`);
  }

  /** Resolves with the first notification (already received or coming) that matches. */
  waitForEvent(match: (e: HapEventValue) => boolean, timeoutMs = 10_000, since = 0): Promise<HapEventValue> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.slice(since).find(match);
        if (hit) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching HAP event within ${timeoutMs} ms; got ${JSON.stringify(this.events.slice(since))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const message = this.takeMessage();
      if (!message) return;
      if (message.startLine.startsWith('EVENT/')) {
        const body = message.body as { characteristics?: HapEventValue[] } | null;
        this.events.push(...(body?.characteristics ?? []));
        for (const w of [...this.waiters]) w();
      } else {
        const status = Number(message.startLine.split(' ')[1]);
        this.pending.shift()?.resolve({ status, headers: message.headers, body: message.body });
      }
    }
  }

  /** Parse one complete message off the buffer (Content-Length or chunked), or null if incomplete. */
  private takeMessage(): { startLine: string; headers: Record<string, string>; body: unknown } | null {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return null;
    const lines = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    const startLine = lines.shift() ?? '';
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let offset = headEnd + 4;
    let body: Buffer;
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = this.buffer.indexOf('\r\n', offset);
        if (lineEnd < 0) return null;
        const size = Number.parseInt(this.buffer.subarray(offset, lineEnd).toString('latin1'), 16);
        if (this.buffer.length < lineEnd + 2 + size + 2) return null;
        parts.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        offset = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < offset + length) return null;
      body = this.buffer.subarray(offset, offset + length);
      offset += length;
    }
    this.buffer = this.buffer.subarray(offset);
    const text = body.toString('utf8');
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { startLine, headers, body: parsed };
  }
}

/** Find a characteristic by service type and characteristic type, optionally in the service named `name`. */
export function findCharacteristic(
  accessories: HapAccessory[],
  serviceType: string,
  charType: string,
  name?: string,
): HapCharacteristic | undefined {
  for (const a of accessories) {
    for (const s of a.services) {
      if (s.type !== serviceType) continue;
      if (name !== undefined && serviceName(s) !== name) continue;
      const c = s.characteristics.find((ch) => ch.type === charType);
      if (c) return { ...c, aid: a.aid, iid: c.iid };
    }
  }
  return undefined;
}

export function serviceName(s: HapService): string | undefined {
  const n = s.characteristics.find((c) => c.type === HapType.Name)?.value;
  return typeof n === 'string' ? n : undefined;
}
