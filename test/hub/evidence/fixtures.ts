/**
 * Shared set-up for the evidence tests: a real hub with the identity, audit and evidence modules,
 * a camera and a SmartWater-marked door, clips made by real ffmpeg, and zip helpers for
 * tampering with a package the way an attacker would.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { auditModule } from '../../../hub/audit/audit-module.js';
import { EvidenceModule } from '../../../hub/evidence/evidence-module.js';
import { identityModule } from '../../../hub/identity/identity-module.js';
import type { ClipRecord } from '../../../hub/storage/footage.js';
import { type ApiClient, invitedClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, type TestHubOptions } from '../../helpers/hub.js';

export const run = promisify(execFile);

export class FakeClock {
  constructor(public t = Date.UTC(2025, 2, 14, 21, 0, 0)) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export const CAMERA = 'front-door-cam';
export const KIT_CODE = 'SW-TEST-77102';

export interface EvidenceHub {
  t: TestHub;
  clock: FakeClock;
  evidence: EvidenceModule;
}

export async function startEvidenceHub(opts: Omit<TestHubOptions, 'modules' | 'clock'> = {}): Promise<EvidenceHub> {
  const clock = new FakeClock();
  const evidence = new EvidenceModule();
  const t = await startTestHub({
    ...opts,
    clock,
    modules: [identityModule(), auditModule(), evidence],
    config: {
      evidence: { downloadTokenMinutes: 5 },
      cameras: [{ id: CAMERA, name: 'Front door camera', source: { type: 'rtsp', mainUrl: 'rtsp://127.0.0.1:1/none' } }],
      sensors: [
        {
          id: 'front-door',
          name: 'Front door',
          location: 'Hallway',
          kind: 'door',
          entryRoute: true,
          smartwater: { marked: true, kitCode: KIT_CODE },
          source: { type: 'zigbee2mqtt', friendlyName: 'front_door' },
        },
      ],
      ...(opts.config ?? {}),
    },
  });
  return { t, clock, evidence };
}

export interface People {
  owner: ApiClient;
  police: ApiClient;
  policeId: string;
}

export async function people(t: TestHub, policeName = 'pc-jones'): Promise<People> {
  const owner = await ownerClient(t.url, t.setupCode);
  const police = await invitedClient(t.url, owner, 'police', policeName);
  const session = await police.get<{ user: { id: string } }>('/api/session');
  return { owner, police, policeId: session.body.user.id };
}

/** A real H.264 MP4 (and a JPEG snapshot) from ffmpeg's test source, registered as a clip. */
export async function makeClip(
  t: TestHub,
  o: { startTs: number; seconds?: number; bitrateKbps?: number; cameraId?: string; emitSaved?: boolean },
): Promise<ClipRecord> {
  const id = randomUUID();
  const seconds = o.seconds ?? 2;
  // Made plain in a scratch folder, then sealed to the card as the recorder does (`.age`).
  const rel = join('clips', `${id}.mp4.age`);
  const snapRel = join('clips', `${id}.jpg.age`);
  const scratch = join(t.dataDir, '.test-scratch');
  await mkdir(scratch, { recursive: true });
  const abs = join(scratch, `${id}.mp4`);
  const snapAbs = join(scratch, `${id}.jpg`);
  await mkdir(dirname(join(t.dataDir, rel)), { recursive: true });
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=640x360:rate=15:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    `${o.bitrateKbps ?? 300}k`,
    '-pix_fmt',
    'yuv420p',
    '-y',
    abs,
  ]);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', abs, '-frames:v', '1', '-y', snapAbs]);
  const buf = await readFile(abs);
  const snap = await readFile(snapAbs);
  await t.hub.core.vault.sealFile(abs, join(t.dataDir, rel), 0o440);
  await t.hub.core.vault.sealFile(snapAbs, join(t.dataDir, snapRel), 0o440);
  await rm(abs);
  await rm(snapAbs);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const clip = await t.hub.core.footage.addClip({
    id,
    cameraId: o.cameraId ?? CAMERA,
    trigger: 'person',
    path: rel,
    sha256: sha(buf),
    size: buf.length,
    startTs: o.startTs,
    endTs: o.startTs + seconds * 1000,
    snapshotPath: snapRel,
    snapshotSha256: sha(snap),
    correlationId: null,
  });
  if (o.emitSaved !== false) {
    // As the recorder does: the audit entry with the hash, then the event.
    await t.hub.core.audit.append({
      action: 'clip.saved',
      actor: 'recorder',
      subject: {
        clipId: clip.id,
        cameraId: clip.cameraId,
        trigger: clip.trigger,
        path: clip.path,
        sha256: clip.sha256,
        size: clip.size,
        startTs: clip.startTs,
        endTs: clip.endTs,
      },
    });
    t.hub.bus.emit('clip.saved', {
      source: 'recorder',
      clipId: clip.id,
      cameraId: clip.cameraId,
      trigger: clip.trigger,
      startTs: clip.startTs,
      endTs: clip.endTs,
      size: clip.size,
      sha256: clip.sha256,
      snapshotSha256: clip.snapshotSha256,
    });
  }
  return clip;
}

export function requestBody(fromTs: number, toTs: number, extra: Record<string, unknown> = {}) {
  return {
    force: 'Metropolitan Police Service',
    officerName: 'PC Alex Jones',
    officerId: 'MPS-4471',
    crimeReference: 'CRIS/2025/0042',
    offence: 'Breach of non-molestation order',
    fromTs,
    toTs,
    cameraIds: [CAMERA],
    reason: 'Suspect seen at the front door in breach of the order',
    ...extra,
  };
}

/** Polls the export status until it is ready or failed. */
export async function waitForExport(
  client: ApiClient,
  requestId: string,
  timeoutMs = 30_000,
): Promise<{ state: string; done: number; total: number; error?: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await client.get<{ state: string; done: number; total: number; error?: string }>(`/api/requests/${requestId}/export`);
    if (r.status === 200 && r.body.state !== 'running') return r.body;
    if (Date.now() > until) throw new Error(`export of ${requestId} still not finished: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Downloads the package as the given police client and writes it to `dest`. */
export async function download(client: ApiClient, requestId: string, dest: string): Promise<void> {
  const tok = await client.post<{ token: string; url: string }>(`/api/requests/${requestId}/download-token`);
  if (tok.status !== 200) throw new Error(`token refused: ${tok.status} ${JSON.stringify(tok.body)}`);
  const res = await fetch(`${client.baseUrl}${tok.body.url}`, { headers: { cookie: client.sessionCookie ?? '' } });
  if (res.status !== 200) throw new Error(`download refused: ${res.status} ${await res.text()}`);
  await writeFile(dest, Buffer.from(await res.arrayBuffer()));
}

export async function readZip(path: string): Promise<Array<[string, Buffer]>> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(path, { lazyEntries: true }, (e, z) => (e || !z ? rej(e) : res(z))),
  );
  const out: Array<[string, Buffer]> = [];
  await new Promise<void>((res, rej) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, s) => {
        if (err || !s) return rej(err);
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => {
          out.push([entry.fileName, Buffer.concat(chunks)]);
          zip.readEntry();
        });
        s.on('error', rej);
      });
    });
    zip.on('end', () => res());
    zip.on('error', rej);
    zip.readEntry();
  });
  return out;
}

/** Writes a copy of a package with some files changed (`edit` returns null to drop a file). */
export async function rewriteZip(src: string, dest: string, edit: (name: string, data: Buffer) => Buffer | null): Promise<void> {
  const files = await readZip(src);
  const zip = new yazl.ZipFile();
  for (const [name, data] of files) {
    const next = edit(name, data);
    if (next) zip.addBuffer(next, name);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await writeFile(dest, Buffer.concat(chunks));
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
