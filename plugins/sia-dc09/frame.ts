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
  constructor(message: string, details?: Record<string, unknown>, code: 'HUB_ERR_DC09' | 'HUB_ERR_DC09_KEY' = 'HUB_ERR_DC09') {
    super(code, message, details === undefined ? {} : { details });
  }
}

/** The receiver's reply is a sound frame we cannot read: the two sides hold different keys. */
export class Dc09KeyError extends Dc09Error {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, details, 'HUB_ERR_DC09_KEY');
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

export type KeyFormat = 'hex' | 'text';

/** The AES variant a key of this many bytes selects. */
export function keyBits(bytes: number): 128 | 192 | 256 | null {
  return bytes === 16 ? 128 : bytes === 24 ? 192 : bytes === 32 ? 256 : null;
}

/**
 * The key bytes from what the installer typed. ARCs write keys two ways: as hex digits standing
 * for bytes (32/48/64 digits), or as characters that are themselves the key (16/24/32 of them),
 * which is how pysiaalarm and Home Assistant read the key they are given.
 */
export function keyBytes(key: string, format: KeyFormat): Buffer {
  if (format === 'hex') {
    if (!/^(?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$/.test(key)) {
      throw new Dc09Error('a hex AES key must be 32, 48 or 64 hex digits (AES-128/192/256)');
    }
    return Buffer.from(key, 'hex');
  }
  if (!/^[\x21-\x7e]*$/.test(key) || keyBits(key.length) === null) {
    throw new Dc09Error('a text AES key must be 16, 24 or 32 printable characters without spaces (AES-128/192/256)');
  }
  return Buffer.from(key, 'latin1');
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

const RESPONSE_HEAD = /^"(\*?)(ACK|NAK|DUH|RSP)"(\d{4})([^[]*)\[(.*)$/s;
/** One header field: receiver (R), line (L), account (#) or the "no account" marker (A). */
const HEADER_FIELD = /^(?:R([0-9A-Fa-f]{1,6})|L([0-9A-Fa-f]{1,6})|#([0-9A-Fa-f]{1,16})|A([0-9A-Fa-f]{1,16}))/;

interface ResponseHeader {
  receiver: string | null;
  line: string | null;
  account: string | null;
}

/**
 * The fields between the sequence number and the first `[`. The standard writes them R, L, #
 * (or `A0`, no account, on a NAK), but receivers differ: pysiaalarm answers `"NAK"0000L0R0A0[]`.
 * Each field may come once, in any order. R and L values are hex, so a trailing `A0` is taken off
 * first (`R0A0` is receiver 0 and no account, not receiver 0A0).
 */
function parseHeader(text: string): ResponseHeader {
  const out: ResponseHeader = { receiver: null, line: null, account: null };
  const seen = new Set<string>();
  // `A0` (no account) written last would read as more hex digits of the field before it.
  let rest = !text.includes('#') && /A0$/i.test(text) ? text.slice(0, -2) : text;
  while (rest.length > 0) {
    const m = HEADER_FIELD.exec(rest);
    if (!m) throw new Dc09Error('response header has a field that is not R, L, # or A', { header: text.slice(0, 40) });
    const tag = m[0][0] as string;
    if (seen.has(tag)) throw new Dc09Error(`response header repeats the ${tag} field`, { header: text.slice(0, 40) });
    seen.add(tag);
    if (m[1] !== undefined) out.receiver = m[1].toUpperCase();
    if (m[2] !== undefined) out.line = m[2].toUpperCase();
    if (m[3] !== undefined) out.account = m[3].toUpperCase();
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * Parse one response frame (LF ... CR, or the text between). Throws Dc09Error when garbled, and
 * Dc09KeyError when the frame is sound but its encrypted part does not decrypt with our key.
 */
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
  const m = RESPONSE_HEAD.exec(body);
  if (!m) throw new Dc09Error('response is not ACK, NAK, DUH or RSP', { start: body.slice(0, 12) });
  const [, star, type, seq, header, rest] = m as unknown as [string, string, Dc09ResponseType, string, string, string];
  const { receiver, line, account } = parseHeader(header);
  const encrypted = star === '*';
  let content = rest;
  if (encrypted) {
    if (!key) throw new Dc09KeyError('receiver sent an encrypted response but no key is configured');
    try {
      content = decryptContent(rest, key);
    } catch (err) {
      throw new Dc09KeyError('encrypted response does not decrypt with our key', { cause: describeCause(err) });
    }
    // A right key gives the `]` that closes the (empty) data block; a wrong one gives noise.
    if (!/^[\x20-\x7e]*$/.test(content) || !content.includes(']')) {
      throw new Dc09KeyError('encrypted response is not readable with our key');
    }
  }
  return { type, encrypted, seq, receiver, line, account, content, timestamp: parseTimestamp(content) };
}

function describeCause(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
