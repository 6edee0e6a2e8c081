/**
 * How much is written to the SD card (the data folder's block device), for health. Linux counts
 * sectors written per block device in /sys/dev/block/<major>:<minor>/stat (field 7, 512-byte
 * sectors, the whole device: every process, not just the hub, which is what wears the card).
 * When the data folder is not on a block device Linux exposes (overlay, tmpfs, some containers),
 * the hub's own /proc/self/io write_bytes is used instead and the source says so.
 */
import { readFile, stat } from 'node:fs/promises';

export interface WriteReading {
  /** Bytes written since the meter started. */
  bytes: number;
  /** Extrapolated to a day; null until an hour has passed would be misleading, so after 10 minutes. */
  perDay: number | null;
  source: string;
}

const MIN_SPAN_MS = 10 * 60_000;

async function sectorsWritten(dev: string): Promise<number | null> {
  try {
    const f = (await readFile(`/sys/dev/block/${dev}/stat`, 'utf8')).trim().split(/\s+/);
    const n = Number(f[6]);
    return Number.isFinite(n) ? n * 512 : null;
  } catch {
    return null;
  }
}

/** The hub process's bytes sent to storage, minus those cancelled by truncation or deletion. */
export async function processWriteBytes(pid: number | 'self' = 'self'): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/io`, 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    const v = get('write_bytes') - get('cancelled_write_bytes');
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

export class WriteMeter {
  private constructor(
    private readonly read0: () => Promise<number | null>,
    private readonly start: number,
    private readonly startedAt: number,
    private readonly now: () => number,
    readonly source: string,
  ) {}

  static async forPath(path: string, now: () => number): Promise<WriteMeter> {
    const s = await stat(path);
    const dev = `${Math.floor(s.dev / 256) & 0xfff}:${(s.dev & 0xff) | ((s.dev >> 12) & 0xfff00)}`;
    const dev0 = await sectorsWritten(dev);
    if (dev0 !== null) return new WriteMeter(() => sectorsWritten(dev), dev0, now(), now, `block device ${dev}, all processes`);
    const p0 = await processWriteBytes();
    return new WriteMeter(() => processWriteBytes(), p0 ?? 0, now(), now, p0 === null ? 'not measurable here' : 'this hub process only');
  }

  async read(): Promise<WriteReading> {
    const v = await this.read0();
    const bytes = v === null ? 0 : Math.max(0, v - this.start);
    const span = this.now() - this.startedAt;
    return { bytes, perDay: span >= MIN_SPAN_MS && v !== null ? Math.round((bytes / span) * 86_400_000) : null, source: this.source };
  }
}
