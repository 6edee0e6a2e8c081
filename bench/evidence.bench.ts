/**
 * Evidence benchmark on a real hub: a police request over HTTP, the owner's approval, and the
 * background export of a package of 10 camera clips (~5 MB each, H.264 from ffmpeg): time from
 * approval to a ready package and throughput in MB/s (open + re-hash + pack + sign + seal), for
 * clips sealed at rest and for the same clips as plain files; then the offline `sanctuary verify`
 * of the package. One clip is encoded; the other nine are copies with their hashes on record
 * (the export reads every file either way).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { Hub } from '../hub/app.js';
import { AuditModule } from '../hub/audit/audit-module.js';
import { validateConfig } from '../hub/config/load.js';
import { CONFIG_VERSION } from '../hub/config/schema.js';
import { EvidenceModule } from '../hub/evidence/evidence-module.js';
import { verifyPackage } from '../hub/evidence/package-verifier.js';
import { IdentityModule } from '../hub/identity/identity-module.js';
import { createLogger } from '../hub/log/logger.js';
import { SealedFile } from '../hub/vault/age-file.js';
import { invitedClient, ownerClient } from '../test/helpers/api-client.js';

const CLIPS = 10;
const exec = promisify(execFile);

export async function run(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-evidence-'));
  const evidence = new EvidenceModule();
  const hub = new Hub({
    config: validateConfig({
      version: CONFIG_VERSION,
      http: { host: '127.0.0.1', port: 0, redirectPort: null, tls: { enabled: false } },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      cameras: [{ id: 'cam', name: 'Doorbell', source: { type: 'rtsp', mainUrl: 'rtsp://127.0.0.1:1/none' } }],
    }),
    modules: [new IdentityModule(), new AuditModule(), evidence],
    log: createLogger({ level: 'error' }),
    dataDir,
    uiDir: null,
  });
  try {
    const { url, setupCode } = await hub.start();
    await mkdir(join(dataDir, 'clips'), { recursive: true });
    const master = join(dataDir, 'clips', 'master.mp4');
    // Noise keeps x264 at its bitrate: a realistic 10 s, 720p, 4 Mbit/s doorbell clip.
    await exec('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=25:duration=10',
      '-vf',
      'noise=alls=30:allf=t',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v',
      '4M',
      '-maxrate',
      '4M',
      '-bufsize',
      '8M',
      '-pix_fmt',
      'yuv420p',
      '-y',
      master,
    ]);
    const bytes = await readFile(master);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const owner = await ownerClient(url, setupCode);
    const police = await invitedClient(url, owner, 'police', 'bench-officer');
    const ownerId = (await owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const clipMb = (bytes.length * CLIPS) / 1e6;

    // Twice: clips sealed as the recorder keeps them now, then the same clips as plain files (how
    // clips made before encryption at rest are kept): the difference is what decryption costs.
    // Three rounds, alternating, after one warm-up export of each (JIT, page cache): the median.
    const results: Record<string, number[]> = { sealed: [], plain: [] };
    let lastExport = '';
    const order: Array<readonly ['sealed' | 'plain', boolean]> = [];
    for (let r = 0; r < 4; r++) order.push(['sealed', true] as const, ['plain', false] as const);
    for (const [round, [k, sealed]] of order.entries()) {
      const base = Date.now() - (round + 1) * 3600_000;
      for (let i = 0; i < CLIPS; i++) {
        const rel = join('clips', `${k}-${i}.mp4${sealed ? '.age' : ''}`);
        if (sealed) await hub.core.vault.sealFile(master, join(dataDir, rel), 0o440);
        else await copyFile(master, join(dataDir, rel));
        const clip = await hub.core.footage.addClip({
          cameraId: 'cam',
          trigger: 'person',
          path: rel,
          sha256,
          size: bytes.length,
          startTs: base + i * 60_000,
          endTs: base + i * 60_000 + 10_000,
          snapshotPath: null,
          snapshotSha256: null,
          correlationId: null,
        });
        // As the recorder does: the hash goes into the audit log when the clip is written.
        await hub.core.audit.append({
          action: 'clip.saved',
          actor: 'recorder',
          subject: { clipId: clip.id, cameraId: clip.cameraId, path: clip.path, sha256: clip.sha256, size: clip.size },
        });
      }
      const req = await police.post<{ request: { id: string } }>('/api/requests', {
        force: 'Bench',
        officerName: 'B',
        officerId: 'B1',
        crimeReference: 'BENCH/1',
        offence: 'bench',
        reason: 'bench',
        fromTs: base - 1000,
        toTs: base + CLIPS * 60_000,
        cameraIds: ['cam'],
      });
      const started = performance.now();
      const approved = await owner.post<{ request: { export: { exportId: string } } }>(`/api/requests/${req.body.request.id}/approve`, {});
      await evidence.exports.settled(approved.body.request.export.exportId);
      const exportMs = performance.now() - started;
      const status = await owner.get<{ state: string; size: number; error: string | null }>(`/api/requests/${req.body.request.id}/export`);
      if (status.body.state !== 'ready') throw new Error(`export ${status.body.state}: ${status.body.error}`);
      lastExport = approved.body.request.export.exportId;
      if (round < 2) continue;
      results[k]?.push(clipMb / (exportMs / 1000));
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
    for (const k of ['sealed', 'plain'] as const) {
      process.stdout.write(
        `export of ${CLIPS} ${k} clips x ${(bytes.length / 1e6).toFixed(2)} MB = ${clipMb.toFixed(1)} MB (approve -> ready: open, re-hash, pack, sign, seal): ` +
          `median ${median(results[k] ?? []).toFixed(1)} MB/s (${(results[k] ?? []).map((x) => x.toFixed(0)).join(', ')})\n`,
      );
    }
    process.stdout.write(
      `export with decryption: ${((median(results.sealed ?? []) / median(results.plain ?? [])) * 100).toFixed(0)} % of the throughput from plain clips (target at least 80 %)\n`,
    );

    // The package on the hub is sealed to the officer and the owner: opened here with the owner's key.
    const row = await hub.core.db.get<{ path: string }>('SELECT path FROM evidence_exports WHERE id = ?', [lastExport]);
    const zip = join(dataDir, 'opened.zip');
    const f = await SealedFile.open(join(dataDir, row?.path ?? ''), [hub.core.vault.identityOf(ownerId) ?? '']);
    await pipeline(f.stream(), createWriteStream(zip));
    const vStart = performance.now();
    const report = await verifyPackage(zip);
    const verifyMs = performance.now() - vStart;
    if (!report.ok) throw new Error(`verify failed: ${report.problems.join('; ')}`);
    process.stdout.write(
      `sanctuary verify (in process): ${(verifyMs / 1000).toFixed(2)} s, ${(clipMb / (verifyMs / 1000)).toFixed(1)} MB/s\n`,
    );
  } finally {
    await hub.stop('bench finished');
    await rm(dataDir, { recursive: true, force: true });
  }
}
