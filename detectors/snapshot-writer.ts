/**
 * Writes person snapshots under the plugin's data folder: the original frame untouched
 * (`<ts>_<track>.png.age`, lossless: the evidence) and beside it a working copy with the box drawn
 * (`<ts>_<track>.annotated.jpg.age`). Both are sealed to the owner's key by the hub as they are
 * written (never plaintext on the card); the hashes are of the PNG and JPEG themselves. Encoding
 * runs in a small worker thread, started on first use and replaced if it dies.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describeError, HubError, type HubErrorCode } from '../hub/api/errors.js';
import type { BoundingBox } from '../hub/api/events.js';
import type { FootageSealer, Logger } from '../hub/api/plugin.js';
import type { RawFrame } from './frame-format.js';
import type { FromSnapshot, ToSnapshot } from './worker-protocol.js';
import { spawnWorker } from './worker-spawn.js';

export interface SavedSnapshot {
  original: { path: string; sha256: string };
  annotated: { path: string; sha256: string } | null;
}

export class SnapshotWriter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (b: { original: Uint8Array; annotated: Uint8Array | null }) => void; reject: (e: Error) => void }
  >();
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly sealer: FootageSealer,
  ) {}

  /** Start the worker ahead of the first person, so that event is not delayed by a thread start. */
  warmUp(): void {
    if (!this.stopped) this.ensureWorker();
  }

  /** Encode and write both files; resolves with their paths and hashes. */
  async save(
    cameraId: string,
    trackId: string,
    ts: number,
    frame: RawFrame,
    boxes: BoundingBox[],
    quality: number,
  ): Promise<SavedSnapshot> {
    const { original, annotated } = await this.encode(frame, boxes, quality);
    const dir = join(this.dir, cameraId);
    await mkdir(dir, { recursive: true });
    const stem = join(dir, `${new Date(ts).toISOString().replace(/[:.]/g, '-')}_${trackId}`);
    // The original is written first and never over an existing file: evidence is never overwritten.
    const kept = await this.sealer.seal(original, `${stem}.png`);
    let annotatedOut: SavedSnapshot['annotated'] = null;
    if (annotated) {
      const copy = await this.sealer.seal(annotated, `${stem}.annotated.jpg`);
      annotatedOut = { path: copy.path, sha256: copy.sha256 };
    }
    return { original: { path: kept.path, sha256: kept.sha256 }, annotated: annotatedOut };
  }

  encode(frame: RawFrame, boxes: BoundingBox[], quality: number): Promise<{ original: Uint8Array; annotated: Uint8Array | null }> {
    if (this.stopped) return Promise.reject(new HubError('HUB_ERR_DETECTOR', 'snapshot writer is stopped'));
    const worker = this.ensureWorker();
    const data = Uint8Array.from(frame.data);
    const id = this.nextId++;
    const msg: ToSnapshot = {
      type: 'encode',
      id,
      frame: { width: frame.width, height: frame.height, format: frame.format, data },
      boxes,
      quality,
    };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(msg, [data.buffer]);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.fail(new HubError('HUB_ERR_DETECTOR', 'snapshot writer is stopping'));
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = spawnWorker('snapshot-worker');
    this.worker = w;
    w.on('message', (msg: FromSnapshot) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'encoded') p.resolve({ original: msg.original, annotated: msg.annotated });
      else p.reject(new HubError(msg.code as HubErrorCode, msg.message));
    });
    w.on('error', (err) => this.log.error({ err: describeError(err) }, 'snapshot worker threw'));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      if (!this.stopped) this.log.error({ code }, 'snapshot worker exited; a new one starts with the next snapshot');
      this.fail(new HubError('HUB_ERR_DETECTOR', `snapshot worker exited (code ${code})`));
    });
    return w;
  }

  private fail(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
