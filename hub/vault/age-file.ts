/**
 * Footage files in the age format (age-encryption.org/v1, X25519 recipients), written and read
 * with Node's own crypto (OpenSSL's ChaCha20-Poly1305, X25519, HKDF and HMAC).
 *
 * Why age: it is an open, specified format with independent implementations (the `age` and
 * `rage` command-line tools, the `age-encryption` npm package this hub also uses for backups),
 * so an examiner can open a file with a tool that is not ours. Why not the `age-encryption`
 * package for the footage itself: it runs ChaCha20 in JavaScript (47 MB/s encrypt, 68 MB/s
 * decrypt measured here), which would cost a Raspberry Pi several percent of a core per camera
 * and halve export speed; OpenSSL does the same work at memory speed. The tests prove that files
 * written here open with `age-encryption` and files written by `age-encryption` open here.
 *
 * Layout (the age spec): a text header (`age-encryption.org/v1`, one `-> X25519 <share>` stanza
 * per recipient with the wrapped 16-byte file key, `--- <HMAC>`), a 16-byte nonce, then the
 * payload in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under a key derived from the file
 * key and nonce, the chunk number as its nonce and a flag on the last one. Because every chunk
 * stands alone, a range of the plaintext is read by decrypting only the chunks it touches (video
 * seeking in the browser), and truncation or reordering fails authentication.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, link, open, rename, rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { bech32 } from '@scure/base';

export const AGE_MAGIC = 'age-encryption.org/v1\n';
export const CHUNK = 64 * 1024;
const TAG = 16;
/** Chunks read from disk at once when streaming (1 MiB). */
const BLOCK_CHUNKS = 16;
const X25519_LABEL = Buffer.from('age-encryption.org/v1/X25519');

export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…`: the private half. Only ever in memory, or wrapped. */
  identity: string;
  /** `age1…`: the public half, safe to store. */
  recipient: string;
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
function unb64(s: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(s)) throw new Error('not base64');
  return Buffer.from(s, 'base64');
}

function rawPublic(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
}
function privateFromRaw(d: Buffer): KeyObject {
  const pub = rawPublic(createPublicKey(createPrivateKey({ key: pkcs8(d), format: 'der', type: 'pkcs8' })));
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: d.toString('base64url'), x: pub.toString('base64url') }, format: 'jwk' });
}
function publicFromRaw(x: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: x.toString('base64url') }, format: 'jwk' });
}
/** PKCS#8 DER for a raw X25519 private key (RFC 8410). */
function pkcs8(d: Buffer): Buffer {
  return Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), d]);
}

function decodeBech32(s: string, prefix: string): Buffer {
  const res = bech32.decodeToBytes(s as `${string}1${string}`);
  if (res.prefix.toLowerCase() !== prefix.toLowerCase() || res.bytes.length !== 32) throw new Error('wrong key kind');
  return Buffer.from(res.bytes);
}

export function parseRecipient(s: string): Buffer {
  if (!s.startsWith('age1')) throw new Error('an age recipient starts with age1');
  return decodeBech32(s, 'age');
}

function parseIdentity(s: string): Buffer {
  if (!s.startsWith('AGE-SECRET-KEY-1')) throw new Error('an age identity starts with AGE-SECRET-KEY-1');
  return decodeBech32(s, 'AGE-SECRET-KEY-');
}

export function newKeyPair(): AgeKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  const identity = bech32.encodeFromBytes('AGE-SECRET-KEY-', d).toUpperCase();
  return { identity, recipient: recipientOf(identity) };
}

export function recipientOf(identity: string): string {
  const pub = rawPublic(createPublicKey(privateFromRaw(parseIdentity(identity))));
  return bech32.encodeFromBytes('age', pub);
}

const chacha = (key: Buffer, nonce: Buffer, data: Buffer): Buffer => {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
};
const unchacha = (key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | null => {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const out = d.update(sealed.subarray(0, sealed.length - TAG));
    // A stream cipher: final() only checks the tag and returns nothing more.
    const rest = d.final();
    return rest.length ? Buffer.concat([out, rest]) : out;
  } catch {
    return null;
  }
};
const hkdf = (ikm: Buffer, salt: Buffer, info: string | Buffer) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));

function wrapBody(body: Buffer): string {
  const s = b64(body);
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += 64) lines.push(s.slice(i, i + 64));
  // The spec ends a body with a line shorter than 64 columns: add an empty one when needed.
  if (s.length % 64 === 0) lines.push('');
  return lines.join('\n');
}

function header(fileKey: Buffer, recipients: string[]): Buffer {
  if (recipients.length === 0) throw new Error('no recipient to encrypt to');
  let text = AGE_MAGIC;
  for (const r of recipients) {
    const pub = parseRecipient(r);
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const share = rawPublic(publicKey);
    const secret = diffieHellman({ privateKey, publicKey: publicFromRaw(pub) });
    const wrapKey = hkdf(secret, Buffer.concat([share, pub]), X25519_LABEL);
    text += `-> X25519 ${b64(share)}\n${wrapBody(chacha(wrapKey, Buffer.alloc(12), fileKey))}\n`;
  }
  text += '---';
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(text)
    .digest();
  return Buffer.from(`${text} ${b64(mac)}\n`);
}

function chunkNonce(n: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  // 11-byte big-endian counter; files here are far below 2^48 chunks.
  nonce.writeUIntBE(n, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Size on disk of `plain` bytes for a header of `headerLen` bytes. */
export function sealedSize(plain: number, headerLen: number): number {
  return headerLen + 16 + plain + TAG * Math.max(1, Math.ceil(plain / CHUNK));
}

/**
 * Writes one age file under `<dest>.part`, then fsyncs and renames it to `dest`: a power cut
 * leaves either no file or a whole one. Plaintext is hashed as it passes, so the evidence hash
 * recorded at write is the hash of the native file.
 */
export class AgeWriter {
  private buf: Buffer = Buffer.alloc(0);
  private n = 0;
  private plain = 0;
  private written = 0;
  private readonly hash = createHash('sha256');
  private done = false;

  private constructor(
    private readonly fh: FileHandle,
    private readonly dest: string,
    private readonly key: Buffer,
  ) {}

  /** `noOverwrite`: finishing fails (EEXIST) rather than replace a file already at `dest` (evidence). */
  static async create(dest: string, recipients: string[], mode = 0o440, noOverwrite = false): Promise<AgeWriter> {
    const fileKey = randomBytes(16);
    const head = header(fileKey, recipients);
    const nonce = randomBytes(16);
    // Owner-writable while it is being written; made read-only (mode) when finished.
    const fh = await open(`${dest}.part`, 'w', 0o600);
    const w = new AgeWriter(fh, dest, hkdf(fileKey, nonce, 'payload'));
    w.mode = mode;
    w.noOverwrite = noOverwrite;
    await w.out(Buffer.concat([head, nonce]), true);
    return w;
  }
  private mode = 0o440;
  private noOverwrite = false;

  /** Sealed bytes waiting to be written: flushed in blocks of about 1 MiB (few system calls). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  private async out(b: Buffer, flush = false): Promise<void> {
    this.pending.push(b);
    this.pendingBytes += b.length;
    this.written += b.length;
    if (flush || this.pendingBytes >= BLOCK_CHUNKS * (CHUNK + TAG)) await this.flush();
  }

  private async flush(): Promise<void> {
    let bufs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    while (bufs.length) {
      const { bytesWritten } = await this.fh.writev(bufs);
      let n = bytesWritten;
      // A short write: drop what went out and write the rest.
      while (n > 0 && bufs.length) {
        const first = bufs[0] as Buffer;
        if (first.length <= n) {
          n -= first.length;
          bufs = bufs.slice(1);
        } else {
          bufs = [first.subarray(n), ...bufs.slice(1)];
          n = 0;
        }
      }
    }
  }

  async write(data: Buffer | Uint8Array): Promise<void> {
    if (this.done) throw new Error('age file already finished');
    let d = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.hash.update(d);
    this.plain += d.length;
    // Fill the chunk in hand first; keep at least one byte back: the last chunk carries the flag.
    if (this.buf.length) {
      const need = CHUNK - this.buf.length;
      if (d.length <= need) {
        this.buf = Buffer.concat([this.buf, d]);
        return;
      }
      await this.out(chacha(this.key, chunkNonce(this.n++, false), Buffer.concat([this.buf, d.subarray(0, need)])));
      d = d.subarray(need);
    }
    while (d.length > CHUNK) {
      await this.out(chacha(this.key, chunkNonce(this.n++, false), d.subarray(0, CHUNK)));
      d = d.subarray(CHUNK);
    }
    // The caller may reuse its buffer: keep a copy of the part held back.
    this.buf = Buffer.from(d);
  }

  /** Seals the last chunk, syncs and renames. Returns the plaintext hash and sizes. */
  async finish(): Promise<{ sha256: string; plainSize: number; size: number }> {
    if (this.done) throw new Error('age file already finished');
    this.done = true;
    try {
      await this.out(chacha(this.key, chunkNonce(this.n++, true), this.buf), true);
      await this.fh.chmod(this.mode);
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
    if (this.noOverwrite) {
      // link() refuses an existing name atomically, where rename() would replace it.
      await link(`${this.dest}.part`, this.dest);
      await rm(`${this.dest}.part`, { force: true });
    } else await rename(`${this.dest}.part`, this.dest);
    this.result = { sha256: this.hash.digest('hex'), plainSize: this.plain, size: this.written };
    return this.result;
  }

  /** Set when the file is finished (by `finish()` or the end of `writable()`). */
  result: { sha256: string; plainSize: number; size: number } | null = null;

  /**
   * A Writable over this file: what is piped in is sealed; when the pipe ends the file is
   * finished (`result` is set). A pipe that fails removes the partial file.
   */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.write(chunk).then(() => cb(), cb);
      },
      final: (cb) => {
        this.finish().then(() => cb(), cb);
      },
      destroy: (err, cb) => {
        if (!err) {
          cb(null);
          return;
        }
        this.abort().then(
          () => cb(err),
          (abortErr: unknown) => cb(new AggregateError([err, abortErr], 'the age file failed and could not be removed')),
        );
      },
    });
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.fh.close();
    }
    await rm(`${this.dest}.part`, { force: true });
  }
}

type SealResult = { sha256: string; plainSize: number; size: number };

/** Writes one age file from what `fill` gives it; a failure removes the partial file. */
export async function sealWith(
  dest: string,
  recipients: string[],
  fill: (w: AgeWriter) => Promise<void>,
  mode?: number,
  noOverwrite = false,
): Promise<SealResult> {
  const w = await AgeWriter.create(dest, recipients, mode, noOverwrite);
  try {
    await fill(w);
    return await w.finish();
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** Seals a plaintext file (read as a stream) into `dest`. The source is left as it was. */
export function sealFile(src: string, dest: string, recipients: string[], mode?: number, noOverwrite = false): Promise<SealResult> {
  return sealWith(
    dest,
    recipients,
    async (w) => {
      for await (const chunk of createReadStream(src, { highWaterMark: 4 * CHUNK })) await w.write(chunk as Buffer);
    },
    mode,
    noOverwrite,
  );
}

export function sealBytes(data: Buffer, dest: string, recipients: string[], mode?: number, noOverwrite = false): Promise<SealResult> {
  return sealWith(dest, recipients, (w) => w.write(data), mode, noOverwrite);
}

export class NotForThisKeyError extends Error {
  constructor(path: string) {
    super(`${path} is not encrypted to any key that is unlocked`);
  }
}

/** A sealed file whose bytes were changed, cut short or reordered since it was written. */
export class SealedFileAlteredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedFileAlteredError';
  }
}

export function looksSealed(head: Buffer): boolean {
  return head.subarray(0, AGE_MAGIC.length).toString('latin1') === AGE_MAGIC;
}

/** An age file opened with one of the given identities, read by plaintext range. */
export class SealedFile {
  private constructor(
    readonly path: string,
    private readonly key: Buffer,
    private readonly payloadAt: number,
    readonly plainSize: number,
  ) {}

  static async open(path: string, identities: string[]): Promise<SealedFile> {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const head = Buffer.alloc(Math.min(size, 16 * 1024));
      await fh.read(head, 0, head.length, 0);
      const { fileKey, end } = parseHeader(head, identities, path);
      const nonce = Buffer.alloc(16);
      if ((await fh.read(nonce, 0, 16, end)).bytesRead !== 16) throw new SealedFileAlteredError(`${path}: truncated age file`);
      const payload = size - end - 16;
      const chunks = Math.ceil(payload / (CHUNK + TAG));
      const plain = payload - chunks * TAG;
      if (chunks < 1 || plain < 0) throw new SealedFileAlteredError(`${path}: truncated age file`);
      return new SealedFile(path, hkdf(fileKey, nonce, 'payload'), end + 16, plain);
    } finally {
      await fh.close();
    }
  }

  /**
   * Plaintext bytes [start, end] (inclusive), decrypted chunk by chunk as they are read. The file
   * is read in blocks of up to 16 chunks (1 MiB), so a long read costs few system calls.
   */
  stream(start = 0, end = this.plainSize - 1): Readable {
    const self = this;
    const last = Math.max(0, Math.ceil(this.plainSize / CHUNK) - 1);
    async function* gen() {
      if (end < start) {
        // An empty file still has its one (empty, last) chunk to authenticate.
        if (self.plainSize === 0) await self.chunk(0, 0);
        return;
      }
      const fh = await open(self.path, 'r');
      try {
        const c0 = Math.floor(start / CHUNK);
        const c1 = Math.floor(end / CHUNK);
        for (let b = c0; b <= c1; b += BLOCK_CHUNKS) {
          const bEnd = Math.min(c1, b + BLOCK_CHUNKS - 1);
          const from = self.payloadAt + b * (CHUNK + TAG);
          const to =
            bEnd === last
              ? self.payloadAt + last * (CHUNK + TAG) + (self.plainSize - last * CHUNK) + TAG
              : self.payloadAt + (bEnd + 1) * (CHUNK + TAG);
          const block = Buffer.allocUnsafe(to - from);
          const { bytesRead } = await fh.read(block, 0, block.length, from);
          const parts: Buffer[] = [];
          for (let c = b; c <= bEnd; c++) {
            const at = (c - b) * (CHUNK + TAG);
            const isLast = c === last;
            const sealed = block.subarray(at, isLast ? block.length : at + CHUNK + TAG);
            const plain = at + sealed.length <= bytesRead ? unchacha(self.key, chunkNonce(c, isLast), sealed) : null;
            if (!plain) {
              throw new SealedFileAlteredError(`${self.path}: chunk ${c} failed authentication (the file was altered or cut short)`);
            }
            const off = c * CHUNK;
            parts.push(plain.subarray(Math.max(0, start - off), Math.min(plain.length, end - off + 1)));
          }
          for (const p of parts) yield p;
        }
      } finally {
        await fh.close();
      }
    }
    return Readable.from(gen(), { objectMode: false });
  }

  async readAll(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of this.stream()) parts.push(b as Buffer);
    return Buffer.concat(parts);
  }

  private async chunk(c: number, lastIdx: number): Promise<Buffer> {
    const fh = await open(this.path, 'r');
    try {
      return await this.chunkFrom(fh, c, c === lastIdx);
    } finally {
      await fh.close();
    }
  }

  private async chunkFrom(fh: FileHandle, c: number, last: boolean): Promise<Buffer> {
    const at = this.payloadAt + c * (CHUNK + TAG);
    const len = last ? this.plainSize - c * CHUNK + TAG : CHUNK + TAG;
    const sealed = Buffer.alloc(len);
    const { bytesRead } = await fh.read(sealed, 0, len, at);
    const plain = bytesRead === len ? unchacha(this.key, chunkNonce(c, last), sealed) : null;
    if (!plain) throw new SealedFileAlteredError(`${this.path}: chunk ${c} failed authentication (the file was altered or cut short)`);
    return plain;
  }
}

function parseHeader(head: Buffer, identities: string[], path: string): { fileKey: Buffer; end: number } {
  const bad = (why: string) => new Error(`${path}: not a valid age file (${why})`);
  if (!looksSealed(head)) throw bad('no age header');
  const macAt = head.indexOf('\n--- ');
  if (macAt < 0) throw bad('header not finished in the first 16 KiB');
  const lineEnd = head.indexOf('\n', macAt + 1);
  if (lineEnd < 0) throw bad('header MAC line cut short');
  const text = head.subarray(0, macAt + 4).toString('latin1');
  const mac = unb64(head.subarray(macAt + 5, lineEnd).toString('latin1'));
  const lines = text.slice(AGE_MAGIC.length).split('\n');
  const stanzas: { args: string[]; body: Buffer }[] = [];
  for (let i = 0; i < lines.length - 1; ) {
    const line = lines[i++] ?? '';
    if (!line.startsWith('-> ')) throw bad('stanza expected');
    const args = line.slice(3).split(' ');
    let body = '';
    for (;;) {
      const l = lines[i++];
      if (l === undefined) throw bad('stanza body cut short');
      body += l;
      if (l.length < 64) break;
    }
    stanzas.push({ args, body: unb64(body) });
  }
  for (const id of identities) {
    const d = parseIdentity(id);
    const priv = privateFromRaw(d);
    const me = rawPublic(createPublicKey(priv));
    for (const s of stanzas) {
      if (s.args[0] !== 'X25519' || s.args.length !== 2 || s.body.length !== 32) continue;
      const share = unb64(s.args[1] ?? '');
      if (share.length !== 32) continue;
      let secret: Buffer;
      try {
        secret = diffieHellman({ privateKey: priv, publicKey: publicFromRaw(share) });
      } catch {
        continue;
      }
      const fileKey = unchacha(hkdf(secret, Buffer.concat([share, me]), X25519_LABEL), Buffer.alloc(12), s.body);
      if (!fileKey) continue;
      const want = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
        .update(text)
        .digest();
      if (mac.length !== want.length || !timingSafeEqual(mac, want)) {
        throw new SealedFileAlteredError(`${path}: the header MAC does not match (the header was altered)`);
      }
      return { fileKey, end: lineEnd + 1 };
    }
  }
  throw new NotForThisKeyError(path);
}

/** How many recipients a sealed file names in its header (without opening it). */
export async function stanzaCount(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(16 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead).toString('latin1');
    const end = text.indexOf('\n--- ');
    if (!text.startsWith(AGE_MAGIC) || end < 0) throw new Error(`${path}: not a valid age file`);
    return text
      .slice(0, end)
      .split('\n')
      .filter((l) => l.startsWith('-> ')).length;
  } finally {
    await fh.close();
  }
}
