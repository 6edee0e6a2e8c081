/**
 * Checks an evidence package with nothing but Node and the zip: every file against the
 * manifest and SHA256SUMS, the manifest's Ed25519 signature, the key's fingerprint (against
 * one the officer got from the hub, when given), and every link of the custody chain. Each
 * problem names the item, e.g. "clips/abc.mp4: SHA-256 mismatch".
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { HubError } from '../api/errors.js';
import { publicKeyFingerprint, verifyEd25519 } from '../identity/hub-identity.js';
import { verifyCustody } from './custody.js';
import { FILES, type Manifest, parseSha256Sums, sha256Sums, UNLISTED } from './package-format.js';

export interface VerifyOptions {
  /** The hub's key fingerprint as the officer got it from the hub (hex; spaces and colons ignored). */
  expectedFingerprint?: string | undefined;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface VerifyReport {
  ok: boolean;
  problems: string[];
  /** What was checked and held, one line each. */
  passed: string[];
  fingerprint: string | null;
  manifest: Manifest | null;
}

interface ZipItem {
  sha256: string;
  size: number;
  /** Kept for the package's own small files only. */
  data: Buffer | null;
}

const KEEP = new Set<string>(Object.values(FILES));
const MAX_KEPT = 64 * 1024 * 1024;

const openZip = (path: string) =>
  new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) =>
      err || !zip
        ? reject(new HubError('HUB_ERR_VERIFY', `${path}: not a readable zip file (${err?.message ?? 'unknown error'})`, { cause: err }))
        : resolve(zip),
    ),
  );

async function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const out: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(out));
    zip.on('error', (err: Error) => reject(new HubError('HUB_ERR_VERIFY', `the zip is damaged: ${err.message}`, { cause: err })));
    zip.readEntry();
  });
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, onBytes: (n: number) => void): Promise<ZipItem> {
  const stream = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('no stream')) : resolve(s))),
  );
  const h = createHash('sha256');
  const keep = KEEP.has(entry.fileName) && entry.uncompressedSize <= MAX_KEPT;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    h.update(b);
    size += b.length;
    if (keep) chunks.push(b);
    onBytes(b.length);
  }
  return { sha256: h.digest('hex'), size, data: keep ? Buffer.concat(chunks) : null };
}

/** Packages made before the manifest listed every file (still checked by the rules of their time). */
const isFormat1 = (m: Manifest): boolean => (m.format as string) === 'sanctuary-evidence/1';

export const normaliseFingerprint = (fp: string): string => fp.replace(/[\s:]/g, '').toLowerCase();

/**
 * Each clip's hash must be the one its clip.saved audit entry recorded when the hub wrote it, and
 * each recording's the one export.recorded logged when it was made: the file is the one hashed
 * at the time, not merely one that matches a manifest.
 */
function footageInCustody(manifest: Manifest, entries: unknown[], problems: string[], passed: string[]): void {
  const logged = (action: string): Set<string> => {
    const out = new Set<string>();
    for (const e of entries as Array<{ action?: unknown; subject?: { sha256?: unknown; files?: unknown } }>) {
      if (e.action !== action) continue;
      if (typeof e.subject?.sha256 === 'string') out.add(e.subject.sha256);
      if (Array.isArray(e.subject?.files))
        for (const f of e.subject.files as Array<{ sha256?: unknown }>) if (typeof f.sha256 === 'string') out.add(f.sha256);
    }
    return out;
  };
  for (const [kind, action] of [
    ['clip', 'clip.saved'],
    ['recording', 'export.recorded'],
  ] as const) {
    const known = logged(action);
    const files = (Array.isArray(manifest.files) ? manifest.files : []).filter((f) => f.kind === kind);
    const unknown = files.filter((f) => !known.has(f.sha256));
    for (const f of unknown) problems.push(`${f.path}: its SHA-256 is in no ${action} entry of ${FILES.custody}`);
    if (files.length > 0 && unknown.length === 0)
      passed.push(`${FILES.custody}: every ${kind} is the file the hub hashed at the time (${action} entries)`);
  }
}

export async function verifyPackage(zipPath: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: string[] = [];
  const passed: string[] = [];
  const zip = await openZip(zipPath);
  const items = new Map<string, ZipItem>();
  try {
    const entries = (await listEntries(zip)).filter((e) => !e.fileName.endsWith('/'));
    const total = entries.reduce((n, e) => n + e.uncompressedSize, 0);
    let done = 0;
    for (const e of entries) {
      if (items.has(e.fileName)) {
        problems.push(`${e.fileName}: appears twice in the package`);
        continue;
      }
      try {
        items.set(
          e.fileName,
          await readEntry(zip, e, (n) => {
            done += n;
            opts.onProgress?.(done, total);
          }),
        );
      } catch (err) {
        problems.push(`${e.fileName}: cannot be read from the zip (${(err as Error).message})`);
      }
    }
  } finally {
    zip.close();
  }

  const text = (name: string): string | null => items.get(name)?.data?.toString('utf8') ?? null;
  let manifest: Manifest | null = null;
  const manifestBuf = items.get(FILES.manifest)?.data ?? null;
  if (!manifestBuf) problems.push(`${FILES.manifest}: missing from the package`);
  else {
    try {
      manifest = JSON.parse(manifestBuf.toString('utf8')) as Manifest;
    } catch {
      problems.push(`${FILES.manifest}: is not valid JSON`);
    }
  }

  // The key and the signature.
  let fingerprint: string | null = null;
  const pem = text(FILES.publicKey);
  if (!pem) problems.push(`${FILES.publicKey}: missing from the package`);
  else {
    try {
      fingerprint = publicKeyFingerprint(pem);
    } catch {
      problems.push(`${FILES.publicKey}: is not a public key`);
    }
  }
  if (pem && fingerprint && manifestBuf) {
    const sigText = text(FILES.signature);
    const sig = sigText === null ? null : Buffer.from(sigText.trim(), 'base64');
    if (!sig || sig.length === 0) problems.push(`${FILES.signature}: missing from the package`);
    else if (verifyEd25519(pem, manifestBuf, sig))
      passed.push(`${FILES.signature}: Ed25519 signature of ${FILES.manifest} verifies with the package's public key`);
    else problems.push(`${FILES.signature}: signature does not verify with the package's public key`);
    const bin = items.get(FILES.signatureBin)?.data;
    if (sig && bin && !bin.equals(sig)) problems.push(`${FILES.signatureBin}: is not the same signature as ${FILES.signature}`);
  }
  if (fingerprint && manifest) {
    if (manifest.hub?.fingerprint !== fingerprint) problems.push(`${FILES.manifest}: hub fingerprint does not match ${FILES.publicKey}`);
    if (manifest.hub?.publicKeyPem?.trim() !== pem?.trim())
      problems.push(`${FILES.publicKey}: is not the public key named in ${FILES.manifest}`);
    // The hub id is the key's own (its fingerprint's first 16 hex digits): another key cannot carry it.
    if (manifest.hub?.id === fingerprint.slice(0, 16))
      passed.push(`${FILES.manifest}: hub id ${manifest.hub.id} belongs to the signing key`);
    else
      problems.push(
        `${FILES.manifest}: hub id ${String(manifest.hub?.id)} does not belong to the signing key (its id is ${fingerprint.slice(0, 16)})`,
      );
  }
  if (opts.expectedFingerprint !== undefined && fingerprint) {
    const want = normaliseFingerprint(opts.expectedFingerprint);
    if (want === fingerprint) passed.push(`${FILES.publicKey}: fingerprint matches the expected hub key`);
    else problems.push(`${FILES.publicKey}: signed by another key (fingerprint ${fingerprint}, expected ${want})`);
  }

  // Every file against the manifest.
  if (manifest) {
    const listed = new Set<string>();
    for (const f of Array.isArray(manifest.files) ? manifest.files : []) {
      listed.add(f.path);
      const got = items.get(f.path);
      if (!got) problems.push(`${f.path}: listed in ${FILES.manifest} but missing from the package`);
      else if (got.sha256 !== f.sha256) problems.push(`${f.path}: SHA-256 mismatch (manifest ${f.sha256}, file ${got.sha256})`);
      else if (got.size !== f.size) problems.push(`${f.path}: size ${got.size} bytes, manifest says ${f.size}`);
      else passed.push(`${f.path}: SHA-256 ${got.sha256} (${got.size} bytes)`);
    }
    // Format 1 left its own small files out of the manifest; format 2 lists everything but the signed statement.
    const exempt = isFormat1(manifest) ? KEEP : new Set(UNLISTED);
    for (const name of items.keys()) {
      if (!listed.has(name) && !exempt.has(name)) problems.push(`${name}: in the package but not listed in ${FILES.manifest}`);
    }
    if (!isFormat1(manifest) && Array.isArray(manifest.files)) {
      const derived = sha256Sums(manifest.files.filter((f) => f.path !== FILES.sums));
      if (text(FILES.sums) !== null && text(FILES.sums) !== derived)
        problems.push(`${FILES.sums}: is not the file list of ${FILES.manifest}`);
    }
  }

  // SHA256SUMS, the list standard tools check.
  const sumsText = text(FILES.sums);
  const sums = sumsText === null ? null : parseSha256Sums(sumsText);
  if (sumsText === null) problems.push(`${FILES.sums}: missing from the package`);
  else if (!sums) problems.push(`${FILES.sums}: is not in sha256sum format`);
  else {
    const inSums = new Set(sums.map((s) => s.path));
    for (const s of sums) {
      const got = items.get(s.path);
      if (!got) problems.push(`${FILES.sums}: lists ${s.path}, which is missing from the package`);
      else if (got.sha256 !== s.sha256) problems.push(`${s.path}: does not match its line in ${FILES.sums}`);
    }
    const notSummed = new Set<string>([FILES.sums, ...(manifest && !isFormat1(manifest) ? UNLISTED : [])]);
    for (const name of items.keys()) if (!notSummed.has(name) && !inSums.has(name)) problems.push(`${name}: not listed in ${FILES.sums}`);
  }

  // The custody chain.
  const custodyText = text(FILES.custody);
  if (custodyText === null) problems.push(`${FILES.custody}: missing from the package`);
  else {
    let doc: unknown = null;
    try {
      doc = JSON.parse(custodyText);
    } catch {
      problems.push(`${FILES.custody}: is not valid JSON`);
    }
    if (doc !== null) {
      const found = verifyCustody(doc, FILES.custody);
      problems.push(...found);
      if (found.length === 0) {
        const d = doc as { fromSeq: number; toSeq: number; entries: unknown[] };
        passed.push(`${FILES.custody}: ${d.entries.length} audit entries ${d.fromSeq}-${d.toSeq} link and hash correctly`);
        if (manifest && (manifest.custody?.fromSeq !== d.fromSeq || manifest.custody?.toSeq !== d.toSeq)) {
          problems.push(
            `${FILES.custody}: covers entries ${d.fromSeq}-${d.toSeq}, ${FILES.manifest} says ${manifest.custody?.fromSeq}-${manifest.custody?.toSeq}`,
          );
        }
        const head = (d.entries.at(-1) as { hash?: unknown } | undefined)?.hash;
        if (manifest && !isFormat1(manifest) && manifest.custody?.headHash !== head) {
          problems.push(
            `${FILES.custody}: ends at hash ${String(head)}, ${FILES.manifest} says the chain ends at ${manifest.custody?.headHash}`,
          );
        }
        if (manifest && !isFormat1(manifest)) footageInCustody(manifest, d.entries, problems, passed);
      }
    }
  }
  return { ok: problems.length === 0, problems, passed, fingerprint, manifest };
}
