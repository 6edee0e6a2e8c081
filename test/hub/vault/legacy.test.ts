/**
 * A hub updated from a version that kept footage in the clear: at the next start (once the owner
 * has a key) its clips and snapshots are sealed, checked against the hashes recorded when they
 * were written; one that no longer matches is left as it is and the difference is audited.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecorderModule } from '../../../hub/recorder/recorder-module.js';
import { ownerClient } from '../../helpers/api-client.js';
import { footageBytes } from '../../helpers/footage.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { run } from '../evidence/fixtures.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CONFIG = {
  cameras: [{ id: 'cam', name: 'Front door camera', source: { type: 'rtsp' as const, mainUrl: 'rtsp://127.0.0.1:1/none' } }],
};

describe('footage kept before encryption at rest', () => {
  let t: TestHub | null = null;
  let dir = '';
  afterEach(async () => {
    await t?.close();
    t = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is sealed at the next start, hash checked; a file that changed is left and audited', async () => {
    dir = await tempDir();
    t = await startTestHub({ dataDir: dir, config: CONFIG });
    await ownerClient(t.url, t.setupCode);
    // Two clips as an earlier version wrote them: plain MP4 and JPEG files, their hashes on record.
    await mkdir(join(dir, 'clips', 'cam'), { recursive: true });
    const mp4 = join(dir, 'clips', 'cam', 'old.mp4');
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=1', '-y', mp4]);
    const jpg = join(dir, 'clips', 'cam', 'old.jpg');
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', mp4, '-frames:v', '1', '-y', jpg]);
    await copyFile(mp4, join(dir, 'clips', 'cam', 'changed.mp4'));
    const bytes = await readFile(mp4);
    const add = async (name: string, snapshot: boolean) =>
      t?.hub.core.footage.addClip({
        cameraId: 'cam',
        trigger: 'person',
        path: `clips/cam/${name}.mp4`,
        sha256: sha(bytes),
        size: bytes.length,
        startTs: Date.now() - 60_000,
        endTs: Date.now() - 59_000,
        snapshotPath: snapshot ? `clips/cam/${name}.jpg` : null,
        snapshotSha256: snapshot ? sha(await readFile(jpg)) : null,
        correlationId: null,
      });
    const good = await add('old', true);
    const changed = await add('changed', false);
    // Changed on the card after its hash was recorded.
    await appendFile(join(dir, 'clips', 'cam', 'changed.mp4'), Buffer.from('x'));
    const port = Number(new URL(t.url).port);
    await t.close();

    t = await startTestHub({ dataDir: dir, config: { ...CONFIG, http: { port } } });
    await t.hub.core.module<RecorderModule>('recorder')?.legacySealing;
    const sealed = await t.hub.core.footage.clip(good?.id ?? '');
    expect(sealed?.path).toBe('clips/cam/old.mp4.age');
    expect(sealed?.snapshotPath).toBe('clips/cam/old.jpg.age');
    expect(existsSync(mp4)).toBe(false);
    expect(existsSync(jpg)).toBe(false);
    expect(sha(await footageBytes(t, sealed?.path ?? ''))).toBe(good?.sha256);
    expect((await readFile(join(dir, sealed?.path ?? ''))).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    // The changed one: still plain, still named, and the audit log says why.
    const left = await t.hub.core.footage.clip(changed?.id ?? '');
    expect(left?.path).toBe('clips/cam/changed.mp4');
    expect(existsSync(join(dir, 'clips', 'cam', 'changed.mp4.age'))).toBe(false);
    const audit = await t.hub.core.audit.entries();
    expect(audit.find((e) => e.action === 'footage.legacy_mismatch')?.subject).toMatchObject({
      path: 'clips/cam/changed.mp4',
      expected: sha(bytes),
    });
    expect(audit.find((e) => e.action === 'footage.legacy_sealed')?.subject).toMatchObject({ clips: 1, snapshots: 1, mismatched: 1 });
  }, 60_000);
});
