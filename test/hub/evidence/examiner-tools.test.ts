/**
 * The package README's own checks, run by a shell script with standard tools only (bash,
 * coreutils, unzip, openssl, jq, ffprobe), against a package downloaded as an officer would,
 * requested by an officer with a non-ASCII name; then each way an attacker could tamper with it
 * is rejected by those same checks and by `sanctuary verify`.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import type { CustodyDocument } from '../../../hub/evidence/custody.js';
import { canonicalBytes } from '../../../hub/evidence/jcs.js';
import { type Manifest, sha256Sums } from '../../../hub/evidence/package-format.js';
import { publicKeyFingerprint } from '../../../hub/identity/hub-identity.js';
import { tempDir } from '../../helpers/hub.js';
import { download, type EvidenceHub, makeClip, people, readZip, requestBody, sha256, startEvidenceHub, waitForExport } from './fixtures.js';

const SCRIPT = fileURLToPath(new URL('./examiner-check.sh', import.meta.url));
const OFFICER = "Zoë Ó'Brien";

interface Outcome {
  code: number;
  out: string;
}

const exec = (cmd: string, args: string[]): Promise<Outcome> =>
  new Promise((resolve) => {
    execFile(cmd, args, { cwd: process.cwd(), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });

const failedChecks = (out: string): number[] => [...out.matchAll(/^FAIL (\d+):/gm)].map((m) => Number(m[1]));

async function writeZip(dest: string, files: Array<[string, Buffer]>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of files) zip.addBuffer(data, name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await writeFile(dest, Buffer.concat(chunks));
}

describe('the package README checks, with standard tools only', () => {
  let h: EvidenceHub;
  let work: string;
  let pkg: string;
  let readme: string;
  let fingerprint: string;
  let files: Map<string, Buffer>;
  let manifest: Manifest;

  beforeAll(async () => {
    h = await startEvidenceHub();
    work = await tempDir('sanctuary-examiner-');
    const { owner, police } = await people(h.t);
    const now = h.clock.now();
    await makeClip(h.t, { startTs: now - 20 * 60_000 });
    await makeClip(h.t, { startTs: now - 10 * 60_000 });
    const created = await police.post<{ request: { id: string } }>(
      '/api/requests',
      requestBody(now - 30 * 60_000, now, { officerName: OFFICER, reason: 'Vu à la porte — en infraction' }),
    );
    expect(created.status).toBe(200);
    const id = created.body.request.id;
    expect((await owner.post(`/api/requests/${id}/approve`, { note: 'Pour le tribunal' })).status).toBe(200);
    expect((await waitForExport(owner, id)).state).toBe('ready');
    pkg = join(work, 'package.zip');
    await download(police, id, pkg);
    // The officer's view gives the zip's SHA-256 to note: it is the downloaded file's.
    const shown = await police.get<{ sha256: string | null }>(`/api/requests/${id}/export`);
    expect(shown.body.sha256).toBe(sha256(await readFile(pkg)));
    const listed = await police.get<{ requests: Array<{ export: { sha256: string | null } | null }> }>('/api/requests');
    expect(listed.body.requests[0]?.export?.sha256).toBe(shown.body.sha256);
    fingerprint = ((await (await fetch(`${h.t.url}/api`)).json()) as { hubFingerprint: string }).hubFingerprint;
    files = new Map(await readZip(pkg));
    manifest = JSON.parse((files.get('manifest.json') as Buffer).toString('utf8')) as Manifest;
    readme = join(work, 'README.published.txt');
    await writeFile(readme, files.get('README.txt') as Buffer);
  }, 60_000);

  afterAll(async () => {
    await h?.t.close();
  });

  const script = (zip: string) => exec('bash', [SCRIPT, zip, fingerprint, readme]);
  const verify = (zip: string, fp?: string) =>
    exec('node', ['--import', 'tsx', 'app/main.ts', 'verify', zip, ...(fp === undefined ? [] : ['--fingerprint', fp])]);

  it('passes every check the README gives on the genuine package, non-ASCII officer name included', async () => {
    const r = await script(pkg);
    expect(r.out).toMatch(/^15 checks, 0 failed$/m);
    expect(r.code).toBe(0);
    // The name is in the signed manifest and the custody chain as UTF-8, not as \u escapes.
    expect(manifest.request.officerName).toBe(OFFICER);
    expect((files.get('custody.json') as Buffer).includes(Buffer.from(OFFICER, 'utf8'))).toBe(true);
    expect((files.get('manifest.json') as Buffer).includes(Buffer.from(OFFICER, 'utf8'))).toBe(true);
    const v = await verify(pkg, fingerprint);
    expect(v.out).toContain('VERIFIED');
    expect(v.out).toContain('ok    custody.json: every clip is the file the hub hashed at the time (clip.saved entries)');
    expect(v.out).toContain(`ok    manifest.json: hub id ${fingerprint.slice(0, 16)} belongs to the signing key`);
    // No recorder on this hub: the window is listed, and all of it as a gap.
    expect(v.out).toMatch(/^window Front door camera \(front-door-cam\): 0\.0 s of 1800\.0 s recorded, gaps: .+ camera-offline$/m);
    expect(v.code).toBe(0);
  }, 60_000);

  it('says who asked, who approved, the zone and how times and footage were taken', () => {
    expect(manifest.request.requestedBy).toMatchObject({ role: 'police', displayName: 'police pc-jones' });
    expect(manifest.request.approvedBy).toMatchObject({ role: 'owner' });
    expect(manifest.request.approvedBy?.displayName.length).toBeGreaterThan(0);
    expect(manifest.request.decidedAt).toBe(new Date(h.clock.now()).toISOString());
    expect(manifest.home.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(manifest.home.utcOffset).toMatch(/^[+-]\d\d:\d\d$/);
    expect(manifest.timeBasis).toMatch(/arrival time/);
    expect(manifest.processing).toMatch(/without re-encoding.*remuxed.*not the camera’s own files bit-for-bit/s);
    expect(manifest.cameraClocks.map((c) => c.cameraId)).toEqual(['front-door-cam']);
    // Every file but the signed statement is listed, SHA256SUMS included.
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      [...files.keys()].filter((n) => !['manifest.json', 'manifest.sig', 'manifest.sig.bin'].includes(n)).sort(),
    );
    const text = (files.get('README.txt') as Buffer).toString('utf8');
    expect(text).toContain(`Requested by:    ${OFFICER}`);
    expect(text).toMatch(/Decision: {8}approved by .+ \(owner, account /);
    expect(text).toContain('Home time zone:');
  });

  it('rejects a missing file', async () => {
    const snap = manifest.files.find((f) => f.kind === 'snapshot')?.path ?? '';
    const bad = join(work, 'missing.zip');
    await writeZip(
      bad,
      [...files].filter(([n]) => n !== snap),
    );
    const r = await script(bad);
    expect(r.code).toBe(1);
    expect(failedChecks(r.out)).toEqual([5, 6, 7]);
    const v = await verify(bad, fingerprint);
    expect(v.code).toBe(1);
    expect(v.out).toContain(`FAIL  ${snap}: listed in manifest.json but missing from the package`);
  }, 30_000);

  it('rejects an added file', async () => {
    const bad = join(work, 'added.zip');
    await writeZip(bad, [...files, ['clips/extra.mp4', files.get(manifest.files[0]?.path ?? '') as Buffer]]);
    const r = await script(bad);
    expect(r.code).toBe(1);
    expect(failedChecks(r.out)).toEqual([7]);
    const v = await verify(bad, fingerprint);
    expect(v.code).toBe(1);
    expect(v.out).toContain('FAIL  clips/extra.mp4: in the package but not listed in manifest.json');
  }, 30_000);

  it('rejects a changed file, even with SHA256SUMS edited to match', async () => {
    const clip = manifest.files.find((f) => f.kind === 'clip');
    if (!clip) throw new Error('no clip');
    const changed = Buffer.from(files.get(clip.path) as Buffer);
    const mid = Math.floor(changed.length / 2);
    changed[mid] = (changed[mid] ?? 0) ^ 0x01;
    const sums = (files.get('SHA256SUMS') as Buffer).toString().replace(clip.sha256, sha256(changed));
    const bad = join(work, 'changed.zip');
    await writeZip(
      bad,
      [...files].map(([n, d]): [string, Buffer] => [n, n === clip.path ? changed : n === 'SHA256SUMS' ? Buffer.from(sums) : d]),
    );
    const r = await script(bad);
    expect(r.code).toBe(1);
    expect(failedChecks(r.out)).toEqual([5, 8]);
    const v = await verify(bad, fingerprint);
    expect(v.code).toBe(1);
    expect(v.out).toContain(`FAIL  ${clip.path}: SHA-256 mismatch`);
    expect(v.out).toContain('FAIL  SHA256SUMS: is not the file list of manifest.json');
  }, 30_000);

  it('rejects a custody chain cut short with its toSeq fixed', async () => {
    const doc = JSON.parse((files.get('custody.json') as Buffer).toString('utf8')) as CustodyDocument;
    doc.entries = doc.entries.slice(0, -2);
    doc.toSeq = doc.entries.at(-1)?.seq ?? 0;
    const custody = canonicalBytes(doc);
    const listed = manifest.files.find((f) => f.path === 'custody.json');
    const sums = (files.get('SHA256SUMS') as Buffer).toString().replace(listed?.sha256 ?? '-', sha256(custody));
    const bad = join(work, 'truncated.zip');
    await writeZip(
      bad,
      [...files].map(([n, d]): [string, Buffer] => [n, n === 'custody.json' ? custody : n === 'SHA256SUMS' ? Buffer.from(sums) : d]),
    );
    const r = await script(bad);
    expect(r.code).toBe(1);
    // The chain itself still links: what gives it away is the signed extent and hash.
    expect(failedChecks(r.out)).not.toContain(10);
    expect(failedChecks(r.out)).toEqual(expect.arrayContaining([5, 8, 11]));
    const v = await verify(bad, fingerprint);
    expect(v.code).toBe(1);
    expect(v.out).toContain('FAIL  custody.json: SHA-256 mismatch');
    expect(v.out).toMatch(/FAIL {2}custody\.json: covers entries \d+-\d+, manifest\.json says \d+-\d+/);
  }, 30_000);

  it("rejects a package re-signed with a forger's key that keeps this hub's id", async () => {
    const other = generateKeyPairSync('ed25519');
    const pem = other.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const m = JSON.parse((files.get('manifest.json') as Buffer).toString('utf8')) as Manifest;
    m.hub.publicKeyPem = pem;
    m.hub.fingerprint = publicKeyFingerprint(pem);
    m.request.offence = 'Something else';
    const pemEntry = m.files.find((f) => f.path === 'hub-public-key.pem');
    if (!pemEntry) throw new Error('key not listed');
    Object.assign(pemEntry, { sha256: sha256(pem), size: Buffer.byteLength(pem) });
    const sums = Buffer.from(sha256Sums(m.files.filter((f) => f.path !== 'SHA256SUMS')));
    Object.assign(m.files.find((f) => f.path === 'SHA256SUMS') ?? {}, { sha256: sha256(sums), size: sums.length });
    const body = canonicalBytes(m);
    const sig = sign(null, body, other.privateKey);
    const swap = new Map<string, Buffer>([
      ['manifest.json', body],
      ['manifest.sig', Buffer.from(`${sig.toString('base64')}\n`)],
      ['manifest.sig.bin', sig],
      ['hub-public-key.pem', Buffer.from(pem)],
      ['SHA256SUMS', sums],
    ]);
    const bad = join(work, 'forged.zip');
    await writeZip(
      bad,
      [...files].map(([n, d]): [string, Buffer] => [n, swap.get(n) ?? d]),
    );
    const r = await script(bad);
    expect(r.code).toBe(1);
    // Self-consistent otherwise: only the id check and the expected fingerprint give it away.
    expect(failedChecks(r.out)).toEqual([3, 4]);
    // Without --fingerprint too: the id printed is no longer taken on trust.
    const v = await verify(bad);
    expect(v.code).toBe(1);
    expect(v.out).toContain(`FAIL  manifest.json: hub id ${m.hub.id} does not belong to the signing key`);
  }, 30_000);

  it('rejects the officer name changed in the custody chain (Zoë to Zoe)', async () => {
    const text = (files.get('custody.json') as Buffer).toString('utf8');
    expect(text).toContain(OFFICER);
    const custody = Buffer.from(text.replace(OFFICER, "Zoe O'Brien"), 'utf8');
    const bad = join(work, 'renamed.zip');
    await writeZip(
      bad,
      [...files].map(([n, d]): [string, Buffer] => [n, n === 'custody.json' ? custody : d]),
    );
    const r = await script(bad);
    expect(r.code).toBe(1);
    expect(failedChecks(r.out)).toEqual(expect.arrayContaining([5, 9]));
    const v = await verify(bad, fingerprint);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/FAIL {2}custody\.json: entry \d+ was altered/);
  }, 30_000);
});
