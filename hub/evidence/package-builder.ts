/**
 * Writes an evidence package (zip). Clips go in stored, not deflated, and are hashed again as
 * they stream into the zip: if a byte changed between the pre-export check and packing, the
 * package is thrown away rather than shipped with a manifest that does not match it. Sealed
 * footage is read through the opener the export was given (the owner's key, taken at approval),
 * and the zip itself is sealed as it is written (to the requesting officer and the owner): the
 * package the officer downloads is these bytes, opened with her key.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { HubError } from '../api/errors.js';
import type { HubSigner } from '../identity/hub-identity.js';
import { AgeWriter, SealedFileAlteredError } from '../vault/age-file.js';
import type { MediaFile } from '../vault/media-reader.js';
import type { CustodyDocument } from './custody.js';
import { canonicalBytes } from './jcs.js';
import { FILES, type Manifest, type ManifestFile, sha256Sums } from './package-format.js';
import { readmeText } from './package-readme.js';

/** A file that goes into the package as it is, with its manifest entry (sha256 and size as expected). */
export interface PackageFile {
  abs: string;
  entry: ManifestFile;
}

export interface BuildInput {
  /** Where the sealed zip goes (`<id>.zip.age`). */
  outPath: string;
  /** Who can open the package: the officer and the owners. */
  recipients: string[];
  /** Opens the files to pack (sealed ones with the keys the export holds). */
  open: (abs: string) => Promise<MediaFile>;
  identity: HubSigner;
  base: Omit<Manifest, 'files' | 'custody' | 'hub'> & { software: string };
  files: PackageFile[];
  custody: CustodyDocument;
  onFile?: (path: string) => void;
  signal?: AbortSignal;
}

export interface BuiltPackage {
  path: string;
  /** The zip's own size and SHA-256 (what the officer receives), not the sealed file's. */
  size: number;
  sha256: string;
  manifestSha256: string;
  files: ManifestFile[];
}

export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A pass-through that hashes what flows through it. */
function hashingStream(): Transform & { result(): { sha256: string; size: number } } {
  const h = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return Object.assign(t, { result: () => ({ sha256: h.digest('hex'), size }) });
}

export async function buildPackage(input: BuildInput): Promise<BuiltPackage> {
  const streamed = input.files.map((f) => ({ path: f.entry.path, abs: f.abs, expected: f.entry.sha256 }));
  const { software, ...base } = input.base;
  const info = input.identity.info;
  const hub = { id: info.hubId, software, algorithm: info.algorithm, publicKeyPem: info.publicKeyPem, fingerprint: info.fingerprint };
  const custody = {
    path: FILES.custody,
    fromSeq: input.custody.fromSeq,
    toSeq: input.custody.toSeq,
    headHash: input.custody.entries.at(-1)?.hash ?? '',
  };
  const listed: Array<[string, Buffer, ManifestFile['kind']]> = [
    [
      FILES.readme,
      Buffer.from(
        readmeText(
          { ...base, hub, custody },
          input.files.map((f) => f.entry),
        ),
      ),
      'readme',
    ],
    [FILES.publicKey, Buffer.from(info.publicKeyPem), 'public-key'],
    [FILES.custody, canonicalBytes(input.custody), 'custody'],
  ];
  const files: ManifestFile[] = [
    ...input.files.map((f) => f.entry),
    ...listed.map(([path, buf, kind]): ManifestFile => ({ path, kind, sha256: sha(buf), size: buf.length })),
  ];
  // SHA256SUMS is the manifest's own list (so `sha256sum -c` checks signed hashes), and is listed in it too.
  const sums = Buffer.from(sha256Sums(files));
  files.push({ path: FILES.sums, kind: 'checksums', sha256: sha(sums), size: sums.length });
  const manifest: Manifest = { ...base, hub, files, custody };
  // The exact bytes signed are the RFC 8785 form, so anyone can re-derive them from the parsed JSON.
  const manifestBuf = canonicalBytes(manifest);
  const signature = input.identity.sign(manifestBuf);
  const small: Array<[string, Buffer]> = [
    [FILES.manifest, manifestBuf],
    [FILES.signature, Buffer.from(`${signature.toString('base64')}\n`)],
    [FILES.signatureBin, signature],
    ...listed.map(([path, buf]): [string, Buffer] => [path, buf]),
    [FILES.sums, sums],
  ];

  const zip = new yazl.ZipFile();
  const sealed = await AgeWriter.create(input.outPath, input.recipients, 0o440);
  const mtime = new Date(Date.parse(manifest.createdAt));
  const hashers: Array<{ path: string; expected: string; hasher: ReturnType<typeof hashingStream> }> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      // The first failure wins; later ones (the streams torn down after it) add nothing.
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err === undefined) resolve();
        else {
          zip.outputStream.unpipe();
          (zip.outputStream as unknown as { destroy(e: unknown): void }).destroy(err);
          reject(err);
        }
      };
      zip.on('error', finish);
      if (input.signal?.aborted) finish(new HubError('HUB_ERR_EVIDENCE', 'the export was stopped'));
      input.signal?.addEventListener('abort', () => finish(new HubError('HUB_ERR_EVIDENCE', 'the export was stopped')), { once: true });
      pipeline(zip.outputStream, sealed.writable()).then(() => finish(), finish);
      for (const [path, buf] of small) zip.addBuffer(buf, path, { mtime, compress: true });
      for (const s of streamed) {
        const hasher = hashingStream();
        // Lazy: each file is opened only when yazl reaches it, so a big package holds one fd at a time.
        zip.addReadStreamLazy(s.path, { mtime, compress: false }, (cb) => {
          input.onFile?.(s.path);
          const cannot = (err: unknown) =>
            new HubError('HUB_ERR_EVIDENCE', `cannot read ${s.path} for the package`, {
              cause: err,
              details: { path: s.path, altered: err instanceof SealedFileAlteredError },
            });
          input.open(s.abs).then(
            (media) => {
              const rs = media.stream();
              rs.on('error', (err) => finish(cannot(err)));
              cb(null, rs.pipe(hasher));
            },
            (err: unknown) => {
              const e = cannot(err);
              finish(e);
              cb(e, undefined as unknown as NodeJS.ReadableStream);
            },
          );
        });
        hashers.push({ path: s.path, expected: s.expected, hasher });
      }
      zip.end();
    });
    for (const h of hashers) {
      const got = h.hasher.result().sha256;
      if (got !== h.expected) {
        throw new HubError('HUB_ERR_EVIDENCE', `${h.path} changed while it was being packed (SHA-256 ${got}, expected ${h.expected})`, {
          details: { path: h.path, expected: h.expected, actual: got },
        });
      }
    }
  } catch (err) {
    await sealed.abort();
    throw err;
  }
  const done = sealed.result;
  if (!done) throw new HubError('HUB_ERR_EVIDENCE', 'the sealed package was not finished');
  return { path: input.outPath, size: done.plainSize, sha256: done.sha256, manifestSha256: sha(manifestBuf), files };
}
