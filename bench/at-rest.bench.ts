/**
 * Footage encrypted at rest (#19): what sealing costs.
 *
 * 1. CPU of encryption per camera at 1080p: 20 s of a 1080p, 4 Mbit/s H.264 stream (x264 on
 *    testsrc2 with noise, so it holds its bitrate) in 2 s MPEG-TS segments, as the recorder keeps
 *    them, sealed to two recipients (the owner and the boot key) the way the hub seals them, and
 *    the process CPU it took divided by the seconds of footage. Once with the hub's sealer
 *    (node:crypto, OpenSSL) and once with the `age-encryption` package (JavaScript ChaCha20),
 *    which is why the hub writes the format itself.
 * 2. Opening sealed footage: plaintext MB/s decrypting the same segments (what an export, a clip
 *    cut from held segments and playback pay).
 * The export throughput with decryption on a real hub is in `npm run bench -- evidence`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import * as age from 'age-encryption';
import { newKeyPair, SealedFile, sealFile } from '../hub/vault/age-file.js';

const exec = promisify(execFile);
const SECONDS = 20;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-at-rest-'));
  try {
    await exec('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=1920x1080:rate=25:duration=${SECONDS}`,
      '-vf',
      'noise=alls=20:allf=t',
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
      '-g',
      '50',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'segment',
      '-segment_time',
      '2',
      '-segment_format',
      'mpegts',
      join(dir, 'seg-%03d.ts'),
    ]);
    const segs = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
    let bytes = 0;
    for (const s of segs) bytes += (await stat(join(dir, s))).size;
    const mb = bytes / 1e6;
    process.stdout.write(
      `footage: ${segs.length} segments, ${SECONDS} s of 1080p at ${((bytes * 8) / SECONDS / 1e6).toFixed(2)} Mbit/s (${mb.toFixed(1)} MB)\n`,
    );
    const owner = newKeyPair();
    const boot = newKeyPair();

    // The hub's sealer, three passes (the first warms the page cache and OpenSSL).
    const passes: number[] = [];
    for (let p = 0; p < 3; p++) {
      const c0 = cpuMs();
      for (const s of segs) await sealFile(join(dir, s), join(dir, `${s}.age`), [owner.recipient, boot.recipient]);
      passes.push(cpuMs() - c0);
    }
    const best = Math.min(...passes);
    const hubPct = (best / 1000 / SECONDS) * 100;
    process.stdout.write(
      `seal (hub, node:crypto): ${best.toFixed(0)} ms CPU for ${SECONDS} s of footage = ${hubPct.toFixed(2)} % of one core per 1080p camera ` +
        `(${(mb / (best / 1000)).toFixed(0)} MB/s; passes ${passes.map((x) => x.toFixed(0)).join(', ')} ms; target under 1 %)\n`,
    );

    // The age-encryption package on the same bytes, for comparison.
    const e = new age.Encrypter();
    e.addRecipient(owner.recipient);
    e.addRecipient(boot.recipient);
    const j0 = cpuMs();
    for (const s of segs) await e.encrypt(await readFile(join(dir, s)));
    const js = cpuMs() - j0;
    process.stdout.write(
      `seal (age-encryption, JavaScript): ${js.toFixed(0)} ms CPU = ${((js / 1000 / SECONDS) * 100).toFixed(2)} % of one core (${(mb / (js / 1000)).toFixed(0)} MB/s)\n`,
    );

    // Opening: every sealed segment decrypted in full with the owner's key.
    const t0 = performance.now();
    let out = 0;
    for (const s of segs) {
      const f = await SealedFile.open(join(dir, `${s}.age`), [owner.identity]);
      for await (const chunk of f.stream()) out += (chunk as Buffer).length;
    }
    const openMs = performance.now() - t0;
    if (out !== bytes) throw new Error(`opened ${out} bytes of ${bytes}`);
    process.stdout.write(`open (hub, node:crypto): ${(mb / (openMs / 1000)).toFixed(0)} MB/s of plaintext\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
