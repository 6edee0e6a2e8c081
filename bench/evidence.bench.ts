/**
 * Evidence benchmark on a real hub: a police request over HTTP, the owner's approval, and the
 * background export of a package of 10 camera clips (~5 MB each, H.264 from ffmpeg): time from
 * approval to a ready package and throughput in MB/s (re-hash + pack + sign); then the offline
 * `sanctuary verify` of the same package. One clip is encoded; the other nine are byte copies
 * with their own hashes on record (the export reads every file either way).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Hub } from '../hub/app.js';
import { AuditModule } from '../hub/audit/audit-module.js';
import { validateConfig } from '../hub/config/load.js';
import { CONFIG_VERSION } from '../hub/config/schema.js';
import { EvidenceModule } from '../hub/evidence/evidence-module.js';
import { verifyPackage } from '../hub/evidence/package-verifier.js';
import { IdentityModule } from '../hub/identity/identity-module.js';
import { createLogger } from '../hub/log/logger.js';
import { invitedClient, ownerClient } from '../test/helpers/api-client.js';

const CLIPS = 10;
const exec = promisify(execFile);

export async function run(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-evidence-'));
  const evidence = new EvidenceModule();
  const hub = new Hub({
    config: validateConfig({
      version: CONFIG_VERSION,
      http: { host: '127.0.0.1', port: 0 },
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
    const now = Date.now();
    for (let i = 0; i < CLIPS; i++) {
      const rel = join('clips', `clip-${i}.mp4`);
      await copyFile(master, join(dataDir, rel));
      const clip = await hub.core.footage.addClip({
        cameraId: 'cam',
        trigger: 'person',
        path: rel,
        sha256,
        size: bytes.length,
        startTs: now - (CLIPS - i) * 60_000,
        endTs: now - (CLIPS - i) * 60_000 + 10_000,
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
    const owner = await ownerClient(url, setupCode);
    const police = await invitedClient(url, owner, 'police', 'bench-officer');
    const req = await police.post<{ request: { id: string } }>('/api/requests', {
      force: 'Bench',
      officerName: 'B',
      officerId: 'B1',
      crimeReference: 'BENCH/1',
      offence: 'bench',
      reason: 'bench',
      fromTs: now - 3600_000,
      toTs: now,
      cameraIds: ['cam'],
    });
    const started = performance.now();
    const approved = await owner.post<{ request: { export: { exportId: string } } }>(`/api/requests/${req.body.request.id}/approve`, {});
    await evidence.exports.settled(approved.body.request.export.exportId);
    const exportMs = performance.now() - started;
    const status = await owner.get<{ state: string; size: number; error: string | null }>(`/api/requests/${req.body.request.id}/export`);
    if (status.body.state !== 'ready') throw new Error(`export ${status.body.state}: ${status.body.error}`);
    const clipMb = (bytes.length * CLIPS) / 1e6;
    process.stdout.write(
      `package: ${CLIPS} clips x ${(bytes.length / 1e6).toFixed(2)} MB = ${clipMb.toFixed(1)} MB of footage; zip ${(status.body.size / 1e6).toFixed(1)} MB\n`,
    );
    process.stdout.write(
      `export (approve -> ready: re-hash, pack, sign): ${(exportMs / 1000).toFixed(2)} s, ${(clipMb / (exportMs / 1000)).toFixed(1)} MB/s\n`,
    );

    const row = await hub.core.db.get<{ path: string }>('SELECT path FROM evidence_exports WHERE id = ?', [
      approved.body.request.export.exportId,
    ]);
    const vStart = performance.now();
    const report = await verifyPackage(join(dataDir, row?.path ?? ''));
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
