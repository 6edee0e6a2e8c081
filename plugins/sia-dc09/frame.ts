/**
 * SIA DC-09 framing: building the hub's messages and reading the receiver's responses.
 *
 *   <LF> CRC(4 hex) 0LLL(4 hex) "ID" seq(4) [Rrcvr] Lline #acct [data] [ext]... _HH:MM:SS,MM-DD-YYYY <CR>
 *
 * CRC and length cover the text from the first `"` up to the CR. With AES, the ID gets a `*` and
 * everything after the first `[` is replaced by hex of AES-CBC (zero IV) over
 * `<pad>|<data>]<ext>_<timestamp>`, the pad making the plaintext a whole number of 16-byte blocks.
 */
import { createCipheriv, createDecipheriv, randomInt } from 'node:crypto';
import { HubError } from '../../hub/api/errors.js';
import { crc16Arc, hex4 } from './crc.js';

export type Dc09Id = 'SIA-DCS' | 'ADM-CID' | 'NULL';
export type Dc09ResponseType = 'ACK' | 'NAK' | 'DUH' | 'RSP';

export interface Dc09Address {
  /** 3-16 hex digits. */
  account: string;
  /** Receiver number prefix (1-6 hex), or null to leave it out. */
  receiver: string | null;
  /** Line number prefix (1-6 hex). */
  line: string;
}

export interface Dc09Message {
  id: Dc09Id;
  /** 1-9999; a resend of the same message keeps its number. */
  seq: number;
  /** What goes inside the first brackets, e.g. `#12345A|Nri1/PA000`; empty for a link test. */
  data: string;
  /** Extended data blocks without brackets, e.g. `X-0.1246`, `SAddress text`. */
  extended: string[];
  /** The time to stamp, already corrected by the receiver's clock offset. */
  timestamp: Date;
}

export interface Dc09Response {
  type: Dc09ResponseType;
  encrypted: boolean;
  seq: string;
  receiver: string | null;
  line: string | null;
  account: string | null;
  /** The part after the first `[` (decrypted when encrypted), e.g. `]_12:00:00,01-31-2025`. */
  content: string;
  timestamp: Date | null;
}

export class Dc09Error extends HubError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('HUB_ERR_DC09', message, details === undefined ? {} : { details });
  }
}

const LF = 0x0a;
const CR = 0x0d;
const PAD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `_HH:MM:SS,MM-DD-YYYY` in UTC, as DC-09 stamps messages. */
export function formatTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `_${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())},${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${d.getUTCFullYear()}`;
}

export function parseTimestamp(text: string): Date | null {
  const m = /_(\d{2}):(\d{2}):(\d{2}),(\d{2})-(\d{2})-(\d{4})\s*$/.exec(text);
  if (!m) return null;
  const [, hh, mi, ss, mo, dd, yyyy] = m.map(Number) as [number, number, number, number, number, number, number];
  const ts = Date.UTC(yyyy, mo - 1, dd, hh, mi, ss);
  return Number.isNaN(ts) ? null : new Date(ts);
}

export function aesAlgorithm(key: Buffer): string {
  if (key.length === 16) return 'aes-128-cbc';
  if (key.length === 24) return 'aes-192-cbc';
  if (key.length === 32) return 'aes-256-cbc';
  throw new Dc09Error(`AES key must be 16, 24 or 32 bytes (32, 48 or 64 hex digits), got ${key.length} bytes`);
}

/** Pad with characters that can never be mistaken for the `|` separator, then encrypt. */
export function encryptContent(plain: string, key: Buffer, pad: (n: number) => string = randomPad): string {
  const body = `|${plain}`;
  const padLen = (16 - (Buffer.byteLength(body, 'latin1') % 16)) % 16;
  const cipher = createCipheriv(aesAlgorithm(key), key, Buffer.alloc(16, 0));
  cipher.setAutoPadding(false);
  const out = Buffer.concat([cipher.update(Buffer.from(pad(padLen) + body, 'latin1')), cipher.final()]);
  return out.toString('hex').toUpperCase();
}

export function decryptContent(hex: string, key: Buffer): string {
  if (!/^(?:[0-9A-Fa-f]{32})+$/.test(hex)) throw new Dc09Error('encrypted content is not whole AES blocks of hex');
  const decipher = createDecipheriv(aesAlgorithm(key), key, Buffer.alloc(16, 0));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(hex, 'hex')), decipher.final()]).toString('latin1');
  const bar = plain.indexOf('|');
  // Some receivers pad with zeros or NULs and no `|`: then the content starts at the `]` or `#`.
  if (bar >= 0) return plain.slice(bar + 1);
  const start = plain.search(/[\]#]/);
  return start >= 0 ? plain.slice(start) : plain;
}

function randomPad(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += PAD_CHARS[randomInt(PAD_CHARS.length)];
  return s;
}

/** The text the CRC and length cover: from the first `"` to just before the CR. */
export function messageBody(msg: Dc09Message, addr: Dc09Address, key: Buffer | null): string {
  if (msg.seq < 0 || msg.seq > 9999) throw new Dc09Error(`sequence number ${msg.seq} out of range 0-9999`);
  const head = `"${key ? '*' : ''}${msg.id}"${String(msg.seq).padStart(4, '0')}${addr.receiver ? `R${addr.receiver}` : ''}L${addr.line}#${addr.account}[`;
  const inner = `${msg.data}]${msg.extended.map((x) => `[${x}]`).join('')}${formatTimestamp(msg.timestamp)}`;
  return head + (key ? encryptContent(inner, key) : inner);
}

export function frameBody(body: string): Buffer {
  const len = Buffer.byteLength(body, 'latin1');
  if (len > 0xfff) throw new Dc09Error(`message too long for DC-09 (${len} characters, at most 4095)`);
  return Buffer.concat([Buffer.from([LF]), Buffer.from(hex4(crc16Arc(body)) + hex4(len) + body, 'latin1'), Buffer.from([CR])]);
}

export function buildFrame(msg: Dc09Message, addr: Dc09Address, key: Buffer | null): Buffer {
  return frameBody(messageBody(msg, addr, key));
}

const RESPONSE = /^"(\*?)(ACK|NAK|DUH|RSP)"(\d{4})(?:R([0-9A-Fa-f]{1,6}))?(?:L([0-9A-Fa-f]{1,6}))?(?:#([0-9A-Fa-f]{3,16})|A0)?\[(.*)$/s;

/** Parse one response frame (LF ... CR, or the text between). Throws Dc09Error when garbled. */
export function parseResponse(raw: Buffer, key: Buffer | null): Dc09Response {
  let start = 0;
  let end = raw.length;
  if (raw[start] === LF) start++;
  if (raw[end - 1] === CR) end--;
  const text = raw.subarray(start, end).toString('latin1');
  if (text.length < 9) throw new Dc09Error('response too short to be a DC-09 frame', { length: text.length });
  const crcText = text.slice(0, 4);
  const lenText = text.slice(4, 8);
  const body = text.slice(8);
  if (!/^[0-9A-Fa-f]{4}$/.test(crcText) || !/^0[0-9A-Fa-f]{3}$/.test(lenText)) throw new Dc09Error('response has no CRC/length header');
  const crc = hex4(crc16Arc(body));
  if (crc !== crcText.toUpperCase()) throw new Dc09Error(`response CRC mismatch (frame says ${crcText}, content gives ${crc})`);
  if (Number.parseInt(lenText, 16) !== Buffer.byteLength(body, 'latin1')) {
    throw new Dc09Error(`response length mismatch (frame says ${lenText}, content is ${hex4(body.length)})`);
  }
  const m = RESPONSE.exec(body);
  if (!m) throw new Dc09Error('response is not ACK, NAK, DUH or RSP', { start: body.slice(0, 12) });
  const [, star, type, seq, receiver, line, account, rest] = m as unknown as [
    string,
    string,
    Dc09ResponseType,
    string,
    string | undefined,
    string | undefined,
    string | undefined,
    string,
  ];
  const encrypted = star === '*';
  let content = rest;
  if (encrypted) {
    if (!key) throw new Dc09Error('receiver sent an encrypted response but no key is configured');
    content = decryptContent(rest, key);
  }
  return {
    type,
    encrypted,
    seq,
    receiver: receiver?.toUpperCase() ?? null,
    line: line?.toUpperCase() ?? null,
    account: account?.toUpperCase() ?? null,
    content,
    timestamp: parseTimestamp(content),
  };
}

/** Splits a byte stream into LF...CR frames; bytes outside a frame are reported as garbage. */
export class FrameSplitter {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): { frames: Buffer[]; garbage: number } {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    let garbage = 0;
    for (;;) {
      const lf = this.buf.indexOf(LF);
      if (lf < 0) {
        garbage += this.buf.length;
        this.buf = Buffer.alloc(0);
        break;
      }
      garbage += lf;
      const cr = this.buf.indexOf(CR, lf + 1);
      if (cr < 0) {
        this.buf = this.buf.subarray(lf);
        if (this.buf.length > 8192) {
          garbage += this.buf.length;
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      frames.push(this.buf.subarray(lf, cr + 1));
      this.buf = this.buf.subarray(cr + 1);
    }
    return { frames, garbage };
  }
}
