/**
 * A SIA DC-09 alarm receiver for tests, written from the standard and deliberately independent
 * of the hub's encoder: its own CRC (table-driven), its own parser and its own AES handling.
 * Listens on TCP and UDP on 127.0.0.1, records every frame, and answers ACK / NAK / DUH. Tests can
 * take it down and up again, make it NAK, send garbled ACKs or answer late.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

const CRC_TABLE: number[] = (() => {
  const t: number[] = [];
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t.push(c);
  }
  return t;
})();

export function referenceCrc(text: string): string {
  let crc = 0;
  for (let i = 0; i < text.length; i++) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number);
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

export interface ReceivedFrame {
  transport: 'tcp' | 'udp';
  receivedAt: number;
  raw: string;
  id: string;
  encrypted: boolean;
  seq: string;
  receiver: string | null;
  line: string | null;
  account: string;
  /** Inside the first brackets (decrypted, pad removed), e.g. `#1234|Nri1/PA000`. */
  data: string;
  extended: string[];
  timestamp: Date | null;
  /** The SIA event code (PA, BA, ...) for SIA-DCS frames. */
  code: string | null;
  zone: string | null;
  response: 'ACK' | 'NAK' | 'DUH' | 'garbled' | 'none';
  /** Encrypted, but not readable with the receiver's key. */
  unreadable: boolean;
  /** Same account and sequence as the frame before it that was acknowledged. */
  duplicate: boolean;
}

export interface ReceiverOptions {
  /** The key bytes as the receiver holds them (a text key's characters, as pysiaalarm takes them). */
  key?: Buffer | null;
  /** Receiver clock minus real time. */
  clockOffsetMs?: number;
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `_${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())},${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${d.getUTCFullYear()}`;
}

function cipherName(key: Buffer): string {
  return `aes-${key.length * 8}-cbc`;
}

export class Dc09TestReceiver {
  readonly frames: ReceivedFrame[] = [];
  readonly errors: string[] = [];
  port = 0;
  key: Buffer | null;
  clockOffsetMs: number;
  /** How many of the next messages get each treatment (consumed in this order). */
  nakNext = 0;
  garbleNext = 0;
  duhNext = 0;
  silentNext = 0;
  delayMs = 0;
  /**
   * Header field order in responses: `standard` writes R, L, # (`"NAK"0000R0L0A0[]`);
   * `line-first` writes L before R, as pysiaalarm does (`"NAK"0000L0R0A0[]`).
   */
  fieldOrder: 'standard' | 'line-first' = 'standard';
  /** What it answers an encrypted frame it cannot read: DUH (as the standard asks) or NAK. */
  unreadableAnswer: 'DUH' | 'NAK' = 'DUH';
  private tcp: Server | null = null;
  private udp: UdpSocket | null = null;
  private readonly sockets = new Set<Socket>();
  private lastAcked = new Map<string, string>();
  private waiters = new Set<() => void>();

  constructor(opts: ReceiverOptions = {}) {
    this.key = opts.key ?? null;
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
  }

  get up(): boolean {
    return this.tcp !== null;
  }

  /** Start listening (on `port` if given, else a free one; UDP on the same number). */
  async start(port = this.port): Promise<void> {
    const tcp = createServer((sock) => this.onConnection(sock));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '127.0.0.1', () => resolve());
    });
    this.tcp = tcp;
    this.port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, '127.0.0.1', () => resolve());
    });
    udp.on('message', (msg, rinfo) => {
      const reply = this.handle(msg.toString('latin1'), 'udp');
      if (reply) this.later(() => udp.send(reply, rinfo.port, rinfo.address));
    });
    this.udp = udp;
  }

  /** Go silent: refuse connections and drop open ones (as an ARC outage looks to the hub). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const tcp = this.tcp;
    this.tcp = null;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  /** Alarm frames only (not NULL link tests), and without resent duplicates. */
  alarms(): ReceivedFrame[] {
    return this.frames.filter((f) => f.id !== 'NULL' && !f.duplicate && f.response === 'ACK');
  }

  linkTests(): ReceivedFrame[] {
    return this.frames.filter((f) => f.id === 'NULL' && f.response === 'ACK');
  }

  async waitFor(pred: (r: this) => boolean, timeoutMs = 5000): Promise<void> {
    if (pred(this)) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pred(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `receiver: condition not met within ${timeoutMs} ms; frames: ${this.frames.map((f) => `${f.id}/${f.code}/${f.response}`).join(', ')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private later(fn: () => void): void {
    if (this.delayMs > 0) setTimeout(fn, this.delayMs);
    else fn();
  }

  private onConnection(sock: Socket): void {
    this.sockets.add(sock);
    let pending = '';
    sock.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r');
        if (end < 0) break;
        const frame = pending.slice(0, end + 1);
        pending = pending.slice(end + 1);
        const reply = this.handle(frame, 'tcp');
        if (reply) this.later(() => !sock.destroyed && sock.write(reply));
      }
    });
    sock.on('error', (err) => this.errors.push(`socket: ${err.message}`));
    sock.on('close', () => this.sockets.delete(sock));
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Parse one frame per the standard and return the response bytes (or null for silence). */
  private handle(text: string, transport: 'tcp' | 'udp'): Buffer | null {
    const lf = text.indexOf('\n');
    const cr = text.lastIndexOf('\r');
    if (lf < 0 || cr < lf) {
      this.errors.push('frame without LF/CR');
      return null;
    }
    const inner = text.slice(lf + 1, cr);
    const crc = inner.slice(0, 4);
    const len = inner.slice(4, 8);
    const body = inner.slice(8);
    if (referenceCrc(body) !== crc.toUpperCase() || Number.parseInt(len, 16) !== body.length || len[0] !== '0') {
      this.errors.push(`bad CRC or length in ${JSON.stringify(inner.slice(0, 40))}`);
      return this.respondNak();
    }
    // "ID" then sequence, optional R, L, #account, then [
    if (body[0] !== '"') return this.respondNak();
    const idEnd = body.indexOf('"', 1);
    let id = body.slice(1, idEnd);
    const encrypted = id.startsWith('*');
    if (encrypted) id = id.slice(1);
    let pos = idEnd + 1;
    const seq = body.slice(pos, pos + 4);
    pos += 4;
    const takeHex = (prefix: string): string | null => {
      if (body[pos] !== prefix) return null;
      let end = pos + 1;
      while (end < body.length && /[0-9A-Fa-f]/.test(body[end] as string)) end++;
      const v = body.slice(pos + 1, end);
      pos = end;
      return v;
    };
    const receiver = takeHex('R');
    const line = takeHex('L');
    const account = takeHex('#') ?? '';
    if (body[pos] !== '[') {
      this.errors.push('no [ after the header');
      return this.respondNak();
    }
    let rest = body.slice(pos + 1);
    let unreadable = false;
    if (encrypted) {
      if (!this.key) {
        this.errors.push('encrypted frame but no key');
        return this.respondNak();
      }
      const plain = this.decrypt(rest, this.key);
      // A wrong key decrypts to noise: no `|` ... `]` ... `_timestamp` to be found.
      const readable = plain !== null && /^[\x20-\x7e]*$/.test(plain) && /\|.*\]/.test(plain) && /_\d\d:\d\d:\d\d,/.test(plain);
      if (readable) rest = plain.slice(plain.indexOf('|') + 1);
      else {
        unreadable = true;
        rest = ']';
      }
    }
    const close = rest.indexOf(']');
    const data = rest.slice(0, close);
    let tail = rest.slice(close + 1);
    const extended: string[] = [];
    while (tail.startsWith('[')) {
      const e = tail.indexOf(']');
      extended.push(tail.slice(1, e));
      tail = tail.slice(e + 1);
    }
    const tm = /^_(\d\d):(\d\d):(\d\d),(\d\d)-(\d\d)-(\d\d\d\d)$/.exec(tail);
    const timestamp = tm
      ? new Date(Date.UTC(Number(tm[6]), Number(tm[4]) - 1, Number(tm[5]), Number(tm[1]), Number(tm[2]), Number(tm[3])))
      : null;
    const sia = /\|N(?:ri\d+\/)?([A-Z]{2})(\d*)$/.exec(data);
    const frame: ReceivedFrame = {
      transport,
      receivedAt: Date.now(),
      raw: text,
      id,
      encrypted,
      seq,
      receiver,
      line,
      account,
      data,
      extended,
      timestamp,
      code: sia?.[1] ?? null,
      zone: sia?.[2] ?? null,
      response: 'none',
      unreadable,
      duplicate: this.lastAcked.get(account) === seq && id !== 'NULL',
    };
    this.frames.push(frame);
    const reply = this.decide(frame);
    for (const w of [...this.waiters]) w();
    return reply;
  }

  private decrypt(hex: string, key: Buffer): string | null {
    if (!/^(?:[0-9A-Fa-f]{32})+$/.test(hex)) return null;
    const d = createDecipheriv(cipherName(key), key, Buffer.alloc(16));
    d.setAutoPadding(false);
    return Buffer.concat([d.update(Buffer.from(hex, 'hex')), d.final()]).toString('latin1');
  }

  /** `R.. L.. #..` (or `L.. R.. #..`) for a response to this frame. */
  private header(frame: Pick<ReceivedFrame, 'receiver' | 'line' | 'account'>): string {
    const r = frame.receiver !== null ? `R${frame.receiver}` : '';
    const l = `L${frame.line}`;
    return `${this.fieldOrder === 'line-first' ? l + r : r + l}#${frame.account}`;
  }

  private decide(frame: ReceivedFrame): Buffer | null {
    if (this.silentNext > 0) {
      this.silentNext--;
      return null;
    }
    if (frame.unreadable) {
      frame.response = this.unreadableAnswer;
      this.errors.push('encrypted frame not readable with the receiver key');
      if (this.unreadableAnswer === 'NAK') return this.respondNak();
      return this.wrap(`"DUH"${frame.seq}${this.header(frame)}[]`);
    }
    if (this.garbleNext > 0) {
      this.garbleNext--;
      frame.response = 'garbled';
      // Right shape, wrong CRC: what line noise does to an ACK.
      return Buffer.from(`\n00000014"ACK"${frame.seq}L${frame.line}#${frame.account}[]\r`, 'latin1');
    }
    const ts = frame.timestamp?.getTime();
    const skew = ts === undefined ? 0 : ts - this.now();
    if (this.nakNext > 0 || skew < -40_000 || skew > 20_000) {
      if (this.nakNext > 0) this.nakNext--;
      frame.response = 'NAK';
      return this.respondNak();
    }
    if (this.duhNext > 0) {
      this.duhNext--;
      frame.response = 'DUH';
      return this.wrap(`"DUH"${frame.seq}${this.header(frame)}[]`);
    }
    frame.response = 'ACK';
    this.lastAcked.set(frame.account, frame.seq);
    const prefix = `${frame.seq}${this.header(frame)}[`;
    if (!frame.encrypted || !this.key) return this.wrap(`"ACK"${prefix}]`);
    const plain = `]${stamp(this.now())}`;
    const padded = `${'0'.repeat((16 - ((plain.length + 1) % 16)) % 16)}|${plain}`;
    const c = createCipheriv(cipherName(this.key), this.key, Buffer.alloc(16));
    c.setAutoPadding(false);
    const hex = Buffer.concat([c.update(Buffer.from(padded, 'latin1')), c.final()])
      .toString('hex')
      .toUpperCase();
    return this.wrap(`"*ACK"${prefix}${hex}`);
  }

  private respondNak(): Buffer {
    const head = this.fieldOrder === 'line-first' ? 'L0R0A0' : 'R0L0A0';
    return this.wrap(`"NAK"0000${head}[]${stamp(this.now())}`);
  }

  private wrap(body: string): Buffer {
    return Buffer.from(`\n${referenceCrc(body)}${body.length.toString(16).toUpperCase().padStart(4, '0')}${body}\r`, 'latin1');
  }
}
