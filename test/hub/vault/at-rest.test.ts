/**
 * A stolen hub reveals nothing (#19). The hub records a real RTSP camera (the GStreamer simulator
 * serving the doorbell clip as encoded) with its rolling buffer in RAM, cuts event clips with
 * snapshots, keeps held segments on the card and builds an evidence package. While it records,
 * the whole data folder is copied as a thief would image the card, and every file of the copy is
 * searched for plaintext media (MP4 boxes, MPEG-TS packets, JPEG and PNG pictures) and for key
 * material (PEM private keys, age secret keys, and the raw bytes of the owner's key, the boot key
 * and the hub's signing key). Then the hub restarts with nobody signed in and still records and
 * raises a panic; the owner signs in and plays the clip, and the package she approves verifies
 * bit for bit with `sanctuary verify`, `sha256sum` and openssl.
 */
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bech32 } from '@scure/base';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventMap } from '../../../hub/api/events.js';
import { SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { SealedFile } from '../../../hub/vault/age-file.js';
import { bootKeyDir } from '../../../hub/vault/vault.js';
import { ApiClient, invitedClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { readZip, requestBody, waitForExport } from '../evidence/fixtures.js';

const run = promisify(execFile);
const DOORBELL = fileURLToPath(new URL('../../fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What plaintext media and keys look like, byte for byte. Returns the first kind found, or null. */
function plaintextIn(b: Buffer, secrets: Array<[string, Buffer]>): string | null {
  for (const box of ['ftyp', 'moof', 'moov', 'mdat']) {
    // An MP4 box: its name after a 4-byte size; the top-level boxes of a clip or a segment.
    let at = b.indexOf(box);
    while (at >= 4) {
      const size = b.readUInt32BE(at - 4);
      if (size >= 8 && size <= b.length + 1) return `MP4 ${box} box at ${at - 4}`;
      at = b.indexOf(box, at + 1);
    }
  }
  // MPEG-TS: the sync byte every 188 bytes, five packets in a row (random data: 1 in 2^40).
  for (let i = b.indexOf(0x47); i >= 0 && i + 4 * 188 < b.length; i = b.indexOf(0x47, i + 1)) {
    if (b[i + 188] === 0x47 && b[i + 376] === 0x47 && b[i + 564] === 0x47 && b[i + 752] === 0x47) return `MPEG-TS packets at ${i}`;
  }
  // JPEG (ffmpeg writes JFIF; cameras Exif) and PNG signatures.
  for (const [name, sig] of [
    ['JPEG (JFIF)', Buffer.from('ffd8ffe000104a464946', 'hex')],
    ['JPEG (Exif)', Buffer.from('ffd8ffe1', 'hex')],
    ['JPEG quantisation table start', Buffer.from('ffd8ffdb0043', 'hex')],
    ['PNG', Buffer.from('89504e470d0a1a0a', 'hex')],
  ] as const) {
    const at = b.indexOf(sig);
    if (at >= 0 && (name !== 'JPEG (Exif)' || b.subarray(at + 6, at + 10).toString('latin1') === 'Exif')) return `${name} at ${at}`;
  }
  if (b.includes(Buffer.from('PRIVATE KEY-----'))) return 'a PEM private key';
  if (b.includes(Buffer.from('AGE-SECRET-KEY-'))) return 'an age secret key';
  for (const [name, raw] of secrets) if (b.includes(raw)) return `the raw ${name}`;
  return null;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

const rawAge = (identity: string) => Buffer.from(bech32.decodeToBytes(identity as `${string}1${string}`).bytes);

describe('footage encrypted at rest', () => {
  let server: SimRtspServer | null = null;
  let t: TestHub | null = null;
  let detach: (() => void) | null = null;
  const dirs: string[] = [];
  afterEach(async () => {
    detach?.();
    await t?.close();
    await server?.stop();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    t = null;
    server = null;
    detach = null;
  });

  it('a copy of the data folder taken while the hub records holds no plaintext media and no private key', {
    timeout: 300_000,
  }, async () => {
    server = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL, mount: '/doorbell' });
    await server.start();
    const dataDir = await tempDir();
    // The rolling buffer and the boot key live on a tmpfs, as on the Pi (/run/sanctuary).
    const ram = await mkdtemp('/dev/shm/sanctuary-at-rest-');
    dirs.push(dataDir, ram);
    const config = (port = 0) => ({
      http: { port },
      recorder: {
        segmentSeconds: 2,
        offlineAfterSeconds: 3,
        minFreeBytes: 0,
        retentionIntervalSeconds: 3600,
        ramBuffer: { enabled: true, dir: ram },
      },
      cameras: [
        {
          id: 'door',
          name: 'Front door camera',
          kind: 'doorbell' as const,
          source: { type: 'rtsp' as const, mainUrl: server?.url ?? '', subUrl: null, snapshotUrl: null },
          detect: { enabled: false },
          record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false },
        },
      ],
    });
    const start = async (port = 0) => {
      const hub = await startTestHub({ dataDir, config: config(port) });
      detach = hub.hub.core.cameraAttachments.attach({
        cameraId: 'door',
        mainUrl: server?.url ?? '',
        subUrl: null,
        snapshotUrl: null,
        username: null,
        password: null,
      });
      return hub;
    };
    /** The next matching event, or an error naming what did not come within 60 s. */
    const nextEvent = <K extends 'clip.saved'>(hub: TestHub, name: K, what: string, match: (e: EventMap[K]) => boolean = () => true) =>
      new Promise<EventMap[K]>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(
            new Error(`no ${what} within 60 s; recorder health: ${JSON.stringify(hub.hub.core.health.get('recorder:clips') ?? null)}`),
          );
        }, 60_000);
        const off = hub.hub.bus.on(name, 'test', (e) => {
          if (!match(e)) return;
          clearTimeout(timer);
          off();
          resolve(e);
        });
      });
    /** Waits for `n` segments recorded from `since` on (held ones from before a restart do not count). */
    const segments = async (hub: TestHub, n: number, since = 0) => {
      const until = Date.now() + 60_000;
      const recorder = hub.hub.core.module<import('../../../hub/recorder/recorder-module.js').RecorderModule>('recorder');
      while (((await recorder?.segments.live({ cameraId: 'door' })) ?? []).filter((s) => s.startTs >= since).length < n) {
        if (Date.now() > until) throw new Error('the recorder wrote no segments');
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    t = await start();
    const hub = t;
    const owner = await ownerClient(hub.url, hub.setupCode);
    const ownerId = (await owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const police = await invitedClient(hub.url, owner, 'police', 'pc-jones');
    await segments(hub, 2);

    // Two event clips (with their snapshots), then evidence marked over the buffer: held
    // segments are kept on the card.
    const first = nextEvent(hub, 'clip.saved', 'first doorbell clip');
    hub.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'door' });
    const clipA = await first;
    const markedFrom = Date.now() - 6000;
    hub.hub.bus.emit('evidence.marked', { source: 'test', fromTs: markedFrom, toTs: Date.now(), reason: 'shouting at the door' });
    const second = nextEvent(hub, 'clip.saved', 'second doorbell clip', (e) => e.clipId !== clipA.clipId);
    hub.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'door' });
    const clipB = await second;
    const recorder = hub.hub.core.module<import('../../../hub/recorder/recorder-module.js').RecorderModule>('recorder');
    const until = Date.now() + 20_000;
    while (!(await recorder?.segments.live({ cameraId: 'door' }))?.some((s) => s.path.startsWith('segments/'))) {
      if (Date.now() > until) throw new Error('no held segment reached the card');
      await recorder?.requestRetention();
      await new Promise((r) => setTimeout(r, 300));
    }
    // An evidence package, approved by the owner and waiting for the officer.
    const req = await police.post<{ request: { id: string } }>(
      '/api/requests',
      requestBody(clipA.startTs - 1000, clipA.endTs + 500, { cameraIds: ['door'] }),
    );
    expect(req.status).toBe(200);
    const requestId = req.body.request.id;
    expect((await owner.post(`/api/requests/${requestId}/approve`, { note: 'for the court' })).status).toBe(200);
    expect((await waitForExport(owner, requestId)).state).toBe('ready');

    // The secrets a thief would look for, raw: the owner's key, the boot key, the hub signing key.
    const ownerKey = hub.hub.core.vault.identityOf(ownerId) ?? '';
    const bootKey = (await readFile(join(bootKeyDir(dataDir, ram), 'boot.key'), 'utf8')).trim();
    const signingPem = (await (await SealedFile.open(join(dataDir, 'identity', 'hub-ed25519.key.age'), [ownerKey])).readAll()).toString();
    const signingRaw = Buffer.from(createPrivateKey(signingPem).export({ format: 'jwk' }).d as string, 'base64url');
    const secrets: Array<[string, Buffer]> = [
      ['owner key', rawAge(ownerKey)],
      ['boot key', rawAge(bootKey)],
      ['hub signing key', signingRaw],
    ];

    // The card, imaged while the camera is still recording (the RAM link is copied as a link).
    const copy = await tempDir('sanctuary-stolen-');
    dirs.push(copy);
    await run('cp', ['-a', `${dataDir}/.`, copy]);
    const files = await filesUnder(copy);
    const kinds = new Set(files.map((f) => f.slice(copy.length + 1).split('/')[0]));
    // What is there: clips, kept segments, the package, the sealed hub key, the database.
    expect([...kinds]).toEqual(expect.arrayContaining(['clips', 'segments', 'evidence', 'identity', 'sanctuary.db']));
    const sealed = files.filter((f) => f.endsWith('.age'));
    expect(sealed.filter((f) => f.includes('/clips/')).length).toBeGreaterThanOrEqual(4);
    expect(sealed.some((f) => f.includes('/segments/'))).toBe(true);
    expect(sealed.some((f) => f.includes('/evidence/exports/'))).toBe(true);
    const found: string[] = [];
    for (const f of files) {
      const what = plaintextIn(await readFile(f), secrets);
      if (what) found.push(`${f.slice(copy.length + 1)}: ${what}`);
    }
    expect(found).toEqual([]);
    // The check itself finds what it is meant to: the plaintext in RAM, and the keys.
    const ramSeg = (await recorder?.segments.live({ cameraId: 'door' }))?.find((s) => s.path.startsWith('ram/'));
    expect(plaintextIn(await readFile(join(dataDir, ramSeg?.path ?? '')), [])).toMatch(/MPEG-TS|MP4/);
    expect(plaintextIn(Buffer.from(signingPem), [])).toBe('a PEM private key');
    expect(plaintextIn(Buffer.concat([Buffer.alloc(9), signingRaw]), secrets)).toBe('the raw hub signing key');

    // A restart with nobody signed in: the hub records and raises the alarm as before.
    const port = Number(new URL(hub.url).port);
    detach?.();
    detach = null;
    await hub.close();
    const restartedAt = Date.now();
    t = await start(port);
    const again = t;
    expect(again.hub.core.vault.ownerIdentities()).toEqual([]);
    const panicClip = nextEvent(again, 'clip.saved', 'panic clip after the restart', (e) => e.trigger === 'panic');
    // The camera is recording again (new segments, not the held ones kept from before).
    await segments(again, 2, restartedAt);
    again.hub.bus.emit('panic', { source: 'test', origin: 'api', userId: null, loud: false });
    const panicked = await panicClip;
    const raised = (await again.hub.core.audit.entries()).find((e) => e.action === 'alert.raised' && e.subject.kind === 'panic');
    expect(raised).toBeTruthy();
    const panicRow = await again.hub.core.footage.clip(panicked.clipId);
    expect(panicRow?.path).toMatch(/\.mp4\.age$/);
    // The clip from before the restart is locked to the session that survived it...
    const locked = await owner.get<{ error: { code: string } }>(`/api/clips/${clipA.clipId}/video`);
    expect(locked.status).toBe(423);
    // ...until the owner signs in: then it plays, bit for bit what was recorded.
    const fresh = new ApiClient(again.url);
    expect((await fresh.login(OWNER.username, OWNER.password)).status).toBe(200);
    const video = await fetch(`${again.url}/api/clips/${clipA.clipId}/video`, { headers: { cookie: fresh.sessionCookie ?? '' } });
    expect(video.status).toBe(200);
    expect(sha(Buffer.from(await video.arrayBuffer()))).toBe(clipA.sha256);

    // The officer's package: opened with her key at download, and checked with standard tools.
    const tok = await police.post<{ url: string }>(`/api/requests/${requestId}/download-token`);
    expect(tok.status).toBe(200);
    const res = await fetch(`${again.url}${tok.body.url}`, { headers: { cookie: police.sessionCookie ?? '' } });
    // Police signed in before the restart: her key went with it, so she signs in again first.
    expect(res.status).toBe(423);
    expect((await police.login('pc-jones', 'pc-jones password 123')).status).toBe(200);
    const tok2 = await police.post<{ url: string }>(`/api/requests/${requestId}/download-token`);
    const res2 = await fetch(`${again.url}${tok2.body.url}`, { headers: { cookie: police.sessionCookie ?? '' } });
    expect(res2.status).toBe(200);
    const zipBytes = Buffer.from(await res2.arrayBuffer());
    expect(sha(zipBytes)).toBe(res2.headers.get('x-content-sha256'));
    const out = await tempDir('sanctuary-officer-');
    dirs.push(out);
    const zipPath = join(out, 'package.zip');
    await writeFile(zipPath, zipBytes);
    const inZip = new Map(await readZip(zipPath));
    expect(sha(inZip.get(`clips/${clipA.clipId}.mp4`) ?? Buffer.alloc(0))).toBe(clipA.sha256);
    const { hubFingerprint } = (await (await fetch(`${again.url}/api`)).json()) as { hubFingerprint: string };
    const verified = await run('node', ['--import', 'tsx', 'app/main.ts', 'verify', zipPath, '--fingerprint', hubFingerprint], {
      cwd: process.cwd(),
    });
    expect(verified.stdout).toContain('VERIFIED');
    await run('unzip', ['-q', zipPath, '-d', join(out, 'x')]);
    const sums = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(out, 'x') });
    expect(sums.stdout).toContain(`clips/${clipA.clipId}.mp4: OK`);
    const ssl = await run(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', 'hub-public-key.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.sig.bin'],
      { cwd: join(out, 'x') },
    );
    expect(ssl.stdout).toContain('Signature Verified Successfully');
    expect(clipB.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('with HTTPS on, only the TLS keys (needed to serve the app after a power cut) are private keys in the clear', async () => {
    t = await startTestHub({ tls: true });
    dirs.push(t.dataDir);
    const owner = await ownerClient(t.url, t.setupCode, { ca: t.ca ?? '' });
    expect((await owner.get('/api/session')).status).toBe(200);
    const withKeys: string[] = [];
    for (const f of await filesUnder(t.dataDir)) {
      if ((await readFile(f)).includes(Buffer.from('PRIVATE KEY-----'))) withKeys.push(f.slice(t.dataDir.length + 1));
    }
    expect(withKeys.sort()).toEqual(['tls/ca.key', 'tls/server.key']);
  });
});
