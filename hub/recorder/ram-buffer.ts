/**
 * The rolling segment buffer in RAM, to spare the SD card. Continuous 4 s segments from a 1080p
 * camera are ~1.5 GB an hour; written to the card and deleted again 10 minutes later they wear it
 * out in months, while almost none of them is ever kept. With the buffer in RAM only what the hub
 * keeps reaches the card: clips (cut from the buffer), segments under an evidence hold, and
 * continuous recording when it is switched on ("spilled": copied to `segments/`, then the RAM copy
 * goes).
 *
 * Where: `<data dir>/ram` is a symlink into a tmpfs (the service's RuntimeDirectory, else
 * /dev/shm), so segment paths stay relative to the data folder (`ram/segments/<camera>/...`) and
 * every reader (clips, exports, retention) works unchanged. Sized from free memory: a quarter of
 * MemAvailable, at most half of the tmpfs; below 64 MiB the buffer stays on the card.
 * The price: a power cut loses the unkept buffer (a hub restart does not: the tmpfs stays).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rm, stat, statfs, symlink } from 'node:fs/promises';
import { freemem } from 'node:os';
import { basename, join } from 'node:path';
import { describeError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import { ifMissing } from '../storage/if-missing.js';
import { SEALED_SUFFIX } from '../vault/plain-copies.js';
import type { Vault } from '../vault/vault.js';
import type { RecorderConfig } from './config.js';
import type { SegmentRecord, SegmentStore } from './segment-store.js';

export const RAM_LINK = 'ram';
const MIN_BUDGET = 64 * 1024 * 1024;
/** A RAM file no live segment names any more (spilled, or left by a crash) goes after this. */
const ORPHAN_AGE_MS = 120_000;

export interface RamBufferState {
  enabled: boolean;
  /** The segment folder under the data folder: `ram/segments` or `segments`. */
  segmentsSubdir: string;
  root: string | null;
  budgetBytes: number;
  reason: string;
}

async function memAvailable(): Promise<number> {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'));
    if (m?.[1]) return Number(m[1]) * 1024;
  } catch {
    // Not Linux: the portable figure below.
  }
  return freemem();
}

export class RamBuffer {
  private constructor(
    readonly state: RamBufferState,
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly vault: Vault,
  ) {}

  static async setup(dataDir: string, cfg: RecorderConfig['ramBuffer'], log: Logger, vault: Vault, env = process.env): Promise<RamBuffer> {
    const off = (reason: string) =>
      new RamBuffer({ enabled: false, segmentsSubdir: 'segments', root: null, budgetBytes: 0, reason }, dataDir, log, vault);
    if (cfg.enabled === false) return off('RAM buffer switched off by config: the rolling buffer is on the card');
    const base = cfg.dir ?? env.RUNTIME_DIRECTORY?.split(':')[0] ?? '/dev/shm';
    let fs: { free: number; type: number };
    try {
      const s = await statfs(base);
      fs = { free: s.bavail * s.bsize, type: s.type };
    } catch (err) {
      if (cfg.enabled === true) throw err;
      return off(`no RAM folder at ${base} (${describeError(err)}): the rolling buffer is on the card`);
    }
    const TMPFS_MAGIC = 0x01021994;
    if (fs.type !== TMPFS_MAGIC && cfg.enabled !== true) return off(`${base} is not a tmpfs: the rolling buffer is on the card`);
    const budget = cfg.maxBytes ?? Math.floor(Math.min((await memAvailable()) / 4, fs.free / 2));
    if (budget < MIN_BUDGET && cfg.enabled !== true) {
      return off(`only ${Math.round(budget / 2 ** 20)} MiB of memory to spare: the rolling buffer is on the card`);
    }
    const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
    const root = join(base, `sanctuary-${id}`);
    await mkdir(join(root, 'segments'), { recursive: true, mode: 0o700 });
    const link = join(dataDir, RAM_LINK);
    const existing = await ifMissing(lstat(link), null);
    const current = existing?.isSymbolicLink() ? await readlink(link) : null;
    if (current !== root) {
      await rm(link, { recursive: true, force: true });
      await symlink(root, link);
    }
    return new RamBuffer(
      {
        enabled: true,
        segmentsSubdir: `${RAM_LINK}/segments`,
        root,
        budgetBytes: budget,
        reason: `rolling buffer in RAM (${root}, up to ${Math.round(budget / 2 ** 20)} MiB); only kept footage is written to the card`,
      },
      dataDir,
      log,
      vault,
    );
  }

  /**
   * At start: segments the index still names in RAM whose files are gone (a power cut empties the
   * tmpfs; a segment that finished while the last run was stopping was not released with the
   * rest) are marked deleted, so no clip window counts on them. Returns how many.
   */
  async reconcile(segments: SegmentStore): Promise<number> {
    let n = 0;
    for (const s of await segments.live()) {
      if (!this.isInRam(s) || existsSync(join(this.dataDir, s.path))) continue;
      await segments.markDeleted(s.id, 'RAM buffer lost (power cut or restart) before it was kept');
      n++;
    }
    if (n) this.log.info({ segments: n }, 'segments of the RAM buffer that did not survive are marked gone');
    return n;
  }

  isInRam(seg: { path: string }): boolean {
    return seg.path.startsWith(`${RAM_LINK}/`);
  }

  /**
   * Seals a kept segment to the card (`<name>.ts.age`, fsynced), points the index at it; the RAM
   * file goes later. The card never holds the segment in the clear.
   */
  async spill(seg: SegmentRecord, segments: SegmentStore): Promise<void> {
    if (!this.isInRam(seg)) return;
    const rel = join('segments', seg.cameraId, `${basename(seg.path)}${SEALED_SUFFIX}`);
    await mkdir(join(this.dataDir, 'segments', seg.cameraId), { recursive: true });
    await this.vault.sealFile(join(this.dataDir, seg.path), join(this.dataDir, rel), 0o640);
    await segments.movePath(seg.id, rel);
  }

  /** RAM bytes used by live segments. */
  used(live: SegmentRecord[]): number {
    return live.filter((s) => this.isInRam(s)).reduce((n, s) => n + s.size, 0);
  }

  /** Removes RAM files no live segment names (spilled copies, leftovers of a crash) once they are old enough. */
  async sweep(live: SegmentRecord[], now: number): Promise<number> {
    if (!this.state.root) return 0;
    const named = new Set(live.filter((s) => this.isInRam(s)).map((s) => join(this.dataDir, s.path)));
    let removed = 0;
    const segRoot = join(this.dataDir, RAM_LINK, 'segments');
    for (const cam of await ifMissing(readdir(segRoot), [] as string[])) {
      for (const f of await ifMissing(readdir(join(segRoot, cam)), [] as string[])) {
        const p = join(segRoot, cam, f);
        if (named.has(p)) continue;
        try {
          if (now - (await stat(p)).mtimeMs < ORPHAN_AGE_MS) continue;
          await rm(p, { force: true });
          removed++;
        } catch (err) {
          this.log.debug({ file: p, err: describeError(err) }, 'RAM sweep skipped a file');
        }
      }
    }
    return removed;
  }

  /**
   * One maintenance pass: spill what is kept (continuous or held), trim the oldest unkept RAM
   * footage while over budget (never the newest pre-roll or a window a clip is being cut from),
   * sweep orphans.
   */
  async maintain(o: {
    segments: SegmentStore;
    isHeld: (cameraId: string, fromTs: number, toTs: number) => Promise<boolean>;
    inClipWindow: (seg: SegmentRecord) => boolean;
    keepRecentMs: number;
    now: number;
  }): Promise<{ spilled: number; trimmed: number; swept: number; usedBytes: number }> {
    const r = { spilled: 0, trimmed: 0, swept: 0, usedBytes: 0 };
    if (!this.state.enabled) return r;
    let live = await o.segments.live();
    for (const s of live) {
      if (this.isInRam(s) && (s.continuous || (await o.isHeld(s.cameraId, s.startTs, s.endTs)))) {
        await this.spill(s, o.segments);
        r.spilled++;
      }
    }
    if (r.spilled > 0) live = await o.segments.live();
    let used = this.used(live);
    for (const s of live) {
      if (used <= this.state.budgetBytes) break;
      if (!this.isInRam(s) || s.endTs >= o.now - o.keepRecentMs || o.inClipWindow(s)) continue;
      if (await o.isHeld(s.cameraId, s.startTs, s.endTs)) continue;
      await rm(join(this.dataDir, s.path), { force: true });
      await o.segments.markDeleted(s.id, 'RAM buffer full: older buffer footage dropped');
      used -= s.size;
      r.trimmed++;
    }
    r.usedBytes = used;
    r.swept = await this.sweep(await o.segments.live(), o.now);
    return r;
  }

  /**
   * At a clean stop (open clips already written): kept segments go to the card, the rest of the
   * buffer is released so RAM is not held by a stopped hub; the index says why those are gone.
   */
  async close(segments: SegmentStore, isHeld: (cameraId: string, fromTs: number, toTs: number) => Promise<boolean>): Promise<void> {
    if (!this.state.enabled || !this.state.root) return;
    for (const s of await segments.live()) {
      if (!this.isInRam(s)) continue;
      if (s.continuous || (await isHeld(s.cameraId, s.startTs, s.endTs))) await this.spill(s, segments);
      else await segments.markDeleted(s.id, 'RAM buffer released at a clean stop');
    }
    await rm(this.state.root, { recursive: true, force: true });
    await rm(join(this.dataDir, RAM_LINK), { force: true });
  }
}
