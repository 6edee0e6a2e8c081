/**
 * Footage kept before encryption at rest (a hub updated from an earlier version): clips, their
 * snapshots and the segments kept on the card are sealed once an account has a key to seal them
 * to. Each file is sealed beside itself; the plaintext hash taken while sealing must equal the
 * hash recorded when it was written, or the plain file is left as it is and the difference is
 * audited (it is not this pass's place to bless a changed file). Only after the database names
 * the sealed file is the plain one removed, so a power cut leaves one of the two, never neither.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../api/errors.js';
import type { HubCore } from '../core.js';
import { isSealedPath, SEALED_SUFFIX } from '../vault/plain-copies.js';
import type { RamBuffer } from './ram-buffer.js';
import type { SegmentStore } from './segment-store.js';

export interface LegacySealed {
  clips: number;
  snapshots: number;
  segments: number;
  mismatched: number;
}

export async function sealLegacyFootage(core: HubCore, segments: SegmentStore, ram: RamBuffer | null): Promise<LegacySealed> {
  const out: LegacySealed = { clips: 0, snapshots: 0, segments: 0, mismatched: 0 };
  // Sealed to the boot key alone they would be lost at the next power cut: wait for a person's key.
  if ((await core.vault.footageRecipients()).length < 2 && (await core.vault.ownerRecipients()).length === 0) return out;
  const log = core.log.child({ module: 'recorder', part: 'seal-legacy' });

  const seal = async (rel: string, expected: string | null, what: string): Promise<string | null> => {
    const abs = join(core.dataDir, rel);
    if (!existsSync(abs)) return null;
    const sealed = `${rel}${SEALED_SUFFIX}`;
    const r = await core.vault.sealFile(abs, join(core.dataDir, sealed), 0o440);
    if (expected !== null && r.sha256 !== expected) {
      await rm(join(core.dataDir, sealed), { force: true });
      out.mismatched++;
      await core.audit.append({
        action: 'footage.legacy_mismatch',
        actor: 'system',
        subject: { what, path: rel, expected, actual: r.sha256 },
      });
      log.error({ path: rel, expected, actual: r.sha256 }, 'a clip kept before encryption no longer matches its hash: left as it is');
      return null;
    }
    return sealed;
  };

  for (const clip of await core.db.all<{
    id: string;
    path: string;
    sha256: string;
    snapshot_path: string | null;
    snapshot_sha256: string | null;
  }>(
    `SELECT id, path, sha256, snapshot_path, snapshot_sha256 FROM clips WHERE deleted_at IS NULL AND (path NOT LIKE '%.age' OR (snapshot_path IS NOT NULL AND snapshot_path NOT LIKE '%.age'))`,
  )) {
    try {
      if (!isSealedPath(clip.path)) {
        const sealed = await seal(clip.path, clip.sha256, `clip ${clip.id}`);
        if (sealed) {
          await core.db.run('UPDATE clips SET path = ? WHERE id = ?', [sealed, clip.id]);
          await rm(join(core.dataDir, clip.path), { force: true });
          out.clips++;
        }
      }
      if (clip.snapshot_path && !isSealedPath(clip.snapshot_path)) {
        const sealed = await seal(clip.snapshot_path, clip.snapshot_sha256, `snapshot of clip ${clip.id}`);
        if (sealed) {
          await core.db.run('UPDATE clips SET snapshot_path = ? WHERE id = ?', [sealed, clip.id]);
          await rm(join(core.dataDir, clip.snapshot_path), { force: true });
          out.snapshots++;
        }
      }
    } catch (err) {
      log.error({ clipId: clip.id, err: describeError(err) }, 'could not seal a clip kept before encryption');
    }
  }

  // Kept segments: those on the card while the rolling buffer is in RAM (held or continuous).
  // Without a RAM buffer the rolling buffer itself is on the card and stays as ffmpeg writes it.
  if (ram?.state.enabled) {
    for (const s of await segments.live()) {
      if (ram.isInRam(s) || isSealedPath(s.path)) continue;
      try {
        const sealed = await seal(s.path, null, `segment ${s.id}`);
        if (sealed) {
          await segments.movePath(s.id, sealed);
          await rm(join(core.dataDir, s.path), { force: true });
          out.segments++;
        }
      } catch (err) {
        log.error({ segment: s.path, err: describeError(err) }, 'could not seal a segment kept before encryption');
      }
    }
  }
  const total = out.clips + out.snapshots + out.segments;
  if (total > 0 || out.mismatched > 0) {
    await core.audit.append({ action: 'footage.legacy_sealed', actor: 'system', subject: { ...out } });
    log.info({ ...out }, 'footage kept before encryption at rest is now sealed');
  }
  return out;
}
