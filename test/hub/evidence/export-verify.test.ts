/**
 * From clips on the hub through a police request, approval, the signed export and the download
 * to `sanctuary verify`; then an attacker's edits to the downloaded package, each named.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMap } from '../../../hub/api/events.js';
import type { CustodyDocument } from '../../../hub/evidence/custody.js';
import type { Manifest } from '../../../hub/evidence/package-format.js';
import { verifyPackage } from '../../../hub/evidence/package-verifier.js';
import { publicKeyFingerprint } from '../../../hub/identity/hub-identity.js';
import { tempDir } from '../../helpers/hub.js';
import {
  CAMERA,
  download,
  type EvidenceHub,
  KIT_CODE,
  makeClip,
  people,
  readZip,
  requestBody,
  rewriteZip,
  run,
  sha256,
  startEvidenceHub,
  waitForExport,
} from './fixtures.js';

describe('evidence package: request, approval, export, download, verify', () => {
  let h: EvidenceHub;
  let work: string;
  let pkg: string;
  let requestId: string;
  let clipIds: string[];
  let fingerprint: string;
  const progress: Array<EventMap['export.progress']> = [];

  beforeAll(async () => {
    h = await startEvidenceHub();
    work = await tempDir('sanctuary-pkg-');
    const { owner, police } = await people(h.t);
    const now = h.clock.now();
    const a = await makeClip(h.t, { startTs: now - 20 * 60_000 });
    const b = await makeClip(h.t, { startTs: now - 10 * 60_000 });
    clipIds = [a.id, b.id];
    // A door opening in the window: its SmartWater kit code must reach the manifest.
    const door = h.t.hub.core.devices.sensor('front-door');
    if (!door) throw new Error('no door');
    h.t.hub.bus.emit('sensor.opened', {
      source: 'mqtt-sensors',
      ts: now - 15 * 60_000,
      sensorId: door.id,
      name: door.name,
      location: door.location,
      kind: door.kind,
      entryRoute: door.entryRoute,
      perimeter: door.perimeter,
      smartwaterKitCode: door.smartwater.kitCode,
    });
    // Something unrelated lands in the audit log between the clips and the request.
    expect((await owner.post('/api/invites', { role: 'advocate', displayName: 'Advocate' })).status).toBe(200);
    const created = await police.post<{ request: { id: string } }>('/api/requests', requestBody(now - 30 * 60_000, now));
    expect(created.status).toBe(200);
    requestId = created.body.request.id;
    h.t.hub.bus.on('export.progress', 'test', (e) => {
      progress.push(e);
    });
    const approved = await owner.post(`/api/requests/${requestId}/approve`, { note: 'Please use for the court application' });
    expect(approved.status).toBe(200);
    const status = await waitForExport(owner, requestId);
    expect(status.state).toBe('ready');
    pkg = join(work, 'package.zip');
    await download(police, requestId, pkg);
    fingerprint = ((await (await fetch(`${h.t.url}/api`)).json()) as { hubFingerprint: string }).hubFingerprint;
  }, 60_000);

  afterAll(async () => {
    await h?.t.close();
  });

  it('verifies the downloaded package against the fingerprint /api shows', async () => {
    const report = await verifyPackage(pkg, { expectedFingerprint: fingerprint });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.fingerprint).toBe(fingerprint);
  });

  it('holds the original clips bit-for-bit, with their stored hashes, camera and times', async () => {
    const files = new Map(await readZip(pkg));
    const manifest = JSON.parse((files.get('manifest.json') as Buffer).toString()) as Manifest;
    for (const id of clipIds) {
      const clip = await h.t.hub.core.footage.clip(id);
      const inZip = files.get(`clips/${id}.mp4`);
      expect(inZip && sha256(inZip)).toBe(clip?.sha256);
      const entry = manifest.files.find((f) => f.clipId === id && f.kind === 'clip');
      expect(entry).toMatchObject({
        sha256: clip?.sha256,
        size: clip?.size,
        cameraId: CAMERA,
        cameraName: 'Front door camera',
        masterCopy: true,
      });
      expect(entry?.start).toBe(new Date(clip?.startTs ?? 0).toISOString());
      expect(files.has(`snapshots/${id}.jpg`)).toBe(true);
    }
    expect(manifest.hub.fingerprint).toBe(fingerprint);
    expect(manifest.request).toMatchObject({
      id: requestId,
      crimeReference: 'CRIS/2025/0042',
      officerId: 'MPS-4471',
      decision: 'approved',
    });
    expect(['synchronised', 'unsynchronised', 'unknown']).toContain(manifest.clock.state);
    expect(manifest.clock.detail.length).toBeGreaterThan(0);
    expect(manifest.smartwater).toEqual([{ sensorId: 'front-door', name: 'Front door', location: 'Hallway', kitCode: KIT_CODE }]);
    expect(manifest.events.map((e) => e.name)).toEqual(expect.arrayContaining(['sensor.opened', 'clip.saved']));
    expect(files.get('README.txt')?.toString()).toContain('sanctuary verify');
  });

  it('puts the audit entries about this evidence, linked, in custody.json', async () => {
    const files = new Map(await readZip(pkg));
    const custody = JSON.parse((files.get('custody.json') as Buffer).toString()) as CustodyDocument;
    const actions = custody.entries.flatMap((e) => (e.redacted === true ? [] : [e.action]));
    expect(actions).toEqual(
      expect.arrayContaining(['clip.saved', 'request.created', 'hold.added', 'request.approved', 'export.started', 'export.verified']),
    );
    const saved = custody.entries.filter((e) => e.redacted !== true && e.action === 'clip.saved');
    expect(saved.map((e) => (e.redacted !== true ? e.subject.sha256 : null)).sort()).toEqual(
      (await Promise.all(clipIds.map(async (id) => (await h.t.hub.core.footage.clip(id))?.sha256))).sort(),
    );
    // Logins in between are someone else's business: only their links are given.
    expect(custody.entries.some((e) => e.redacted === true)).toBe(true);
    const hubEntries = await h.t.hub.core.audit.entries({ fromSeq: custody.fromSeq, toSeq: custody.toSeq });
    expect(custody.entries.map((e) => e.hash)).toEqual(hubEntries.map((e) => e.hash));
  });

  it('reported progress through the bus and the API', async () => {
    const last = progress.at(-1);
    expect(last?.phase).toBe('ready');
    expect(progress.some((p) => p.phase === 'verifying')).toBe(true);
    expect(progress.some((p) => p.phase === 'packaging')).toBe(true);
    const dones = progress.filter((p) => p.phase !== 'failed').map((p) => p.done);
    expect(dones).toEqual([...dones].sort((x, y) => x - y));
    expect(last?.done).toBe(last?.total);
  });

  it('checks with standard tools: sha256sum -c and openssl pkeyutl', async () => {
    const dir = join(work, 'unzipped');
    await mkdir(dir, { recursive: true });
    for (const [name, data] of await readZip(pkg)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), data);
    }
    const sums = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir });
    expect(sums.stdout).toMatch(/custody\.json: OK/);
    expect(sums.stdout).toMatch(/README\.txt: OK/);
    expect(sums.stdout).not.toMatch(/FAILED/);
    const ssl = await run(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', 'hub-public-key.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.sig.bin'],
      {
        cwd: dir,
      },
    );
    expect(ssl.stdout).toContain('Signature Verified Successfully');
    const fp = await run('sh', ['-c', 'openssl pkey -pubin -in hub-public-key.pem -outform DER | sha256sum'], { cwd: dir });
    expect(fp.stdout.split(' ')[0]).toBe(fingerprint);
  });

  it('names a clip with one byte flipped', async () => {
    const bad = join(work, 'flipped.zip');
    const target = `clips/${clipIds[0]}.mp4`;
    await rewriteZip(pkg, bad, (name, data) => {
      if (name !== target) return data;
      const copy = Buffer.from(data);
      copy[Math.floor(copy.length / 2)] = (copy[Math.floor(copy.length / 2)] ?? 0) ^ 0x01;
      return copy;
    });
    const r = await verifyPackage(bad);
    expect(r.ok).toBe(false);
    expect(r.problems).toContainEqual(expect.stringMatching(new RegExp(`^${target}: SHA-256 mismatch`)));
  });

  it('names an edited manifest', async () => {
    const bad = join(work, 'manifest-edited.zip');
    await rewriteZip(pkg, bad, (name, data) =>
      name === 'manifest.json' ? Buffer.from(data.toString().replace('CRIS/2025/0042', 'CRIS/2025/0043')) : data,
    );
    const r = await verifyPackage(bad);
    expect(r.ok).toBe(false);
    expect(r.problems).toContain("manifest.sig: signature does not verify with the package's public key");
  });

  const editCustody = async (file: string, change: (entries: CustodyDocument['entries']) => void) => {
    const bad = join(work, file);
    await rewriteZip(pkg, bad, (name, data) => {
      if (name !== 'custody.json') return data;
      const doc = JSON.parse(data.toString()) as CustodyDocument;
      change(doc.entries);
      return Buffer.from(JSON.stringify(doc, null, 2));
    });
    return verifyPackage(bad);
  };

  it('names a removed audit entry', async () => {
    let removed = 0;
    const r = await editCustody('custody-removed.zip', (entries) => {
      const i = entries.findIndex((e) => e.redacted !== true && e.action === 'request.approved');
      removed = entries[i]?.seq ?? 0;
      entries.splice(i, 1);
    });
    expect(r.ok).toBe(false);
    expect(r.problems).toContain(`custody.json: entry ${removed + 1} does not link to the entry before it`);
    expect(r.problems).toContainEqual(expect.stringMatching(/^custody\.json: SHA-256 mismatch/));
  });

  it('names an edited audit entry', async () => {
    let edited = 0;
    const r = await editCustody('custody-edited.zip', (entries) => {
      const e = entries.find((x) => x.redacted !== true && x.action === 'request.approved');
      if (!e || e.redacted === true) throw new Error('no approval entry');
      edited = e.seq;
      e.subject = { ...e.subject, note: 'changed afterwards' };
    });
    expect(r.ok).toBe(false);
    expect(r.problems).toContain(`custody.json: entry ${edited} was altered (its hash does not match its content)`);
  });

  it('names reordered audit entries', async () => {
    let first = 0;
    const r = await editCustody('custody-reordered.zip', (entries) => {
      const i = entries.findIndex((e) => e.redacted !== true && e.action === 'request.created');
      const [a, b] = [entries[i], entries[i + 1]];
      if (!a || !b) throw new Error('no pair to swap');
      first = a.seq;
      entries[i] = b;
      entries[i + 1] = a;
    });
    expect(r.ok).toBe(false);
    expect(r.problems).toContain(`custody.json: entry ${first + 1} does not link to the entry before it`);
    expect(r.problems).toContain(`custody.json: entry ${first} is out of sequence (expected entry ${first + 2} after entry ${first + 1})`);
  });

  it('names a signature from another key', async () => {
    const other = generateKeyPairSync('ed25519');
    const files = new Map(await readZip(pkg));
    const manifestBuf = files.get('manifest.json') as Buffer;
    // Only the signature swapped: it does not verify with the package's key.
    const sigOnly = join(work, 'other-sig.zip');
    await rewriteZip(pkg, sigOnly, (name, data) =>
      name === 'manifest.sig' ? Buffer.from(`${sign(null, manifestBuf, other.privateKey).toString('base64')}\n`) : data,
    );
    const r1 = await verifyPackage(sigOnly);
    expect(r1.problems).toContain("manifest.sig: signature does not verify with the package's public key");

    // The attacker swaps key, fingerprint, signature and sums together: self-consistent, but not the hub's key.
    const pem = other.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const m = JSON.parse(manifestBuf.toString()) as Manifest;
    m.hub.publicKeyPem = pem;
    m.hub.fingerprint = publicKeyFingerprint(pem);
    m.request.offence = 'Something else';
    const forged = Buffer.from(JSON.stringify(m, null, 2));
    const sig = sign(null, forged, other.privateKey);
    const replaced = new Map<string, Buffer>([
      ['manifest.json', forged],
      ['manifest.sig', Buffer.from(sig.toString('base64'))],
      ['manifest.sig.bin', sig],
      ['hub-public-key.pem', Buffer.from(pem)],
    ]);
    const sums = (files.get('SHA256SUMS') as Buffer)
      .toString()
      .split('\n')
      .map((line) => {
        const name = line.slice(66);
        const b = replaced.get(name);
        return b ? `${sha256(b)}  ${name}` : line;
      })
      .join('\n');
    replaced.set('SHA256SUMS', Buffer.from(sums));
    const resigned = join(work, 'resigned.zip');
    await rewriteZip(pkg, resigned, (name, data) => replaced.get(name) ?? data);
    const r2 = await verifyPackage(resigned, { expectedFingerprint: fingerprint });
    expect(r2.ok).toBe(false);
    expect(r2.problems).toContain(
      `hub-public-key.pem: signed by another key (fingerprint ${publicKeyFingerprint(pem)}, expected ${fingerprint})`,
    );
  });

  it('runs as a real CLI process: exit 0 on the package, 1 naming the fault on a tampered one', async () => {
    const cli = (args: string[]) =>
      run('node', ['--import', 'tsx', 'app/main.ts', 'verify', ...args], { cwd: process.cwd() }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    const good = await cli([pkg, '--fingerprint', fingerprint]);
    expect(good.out).toContain('VERIFIED');
    expect(good.code).toBe(0);
    const bad = await cli([join(work, 'flipped.zip')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`FAIL  clips/${clipIds[0]}.mp4: SHA-256 mismatch`);
    expect(bad.out).toContain('NOT VERIFIED');
  }, 30_000);
});
