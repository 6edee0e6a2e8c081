/**
 * Short-lived plaintext copies for ffmpeg, which reads and writes files, not age streams. They
 * live in the vault's work folder in RAM (the boot key's tmpfs) and are removed as soon as the
 * tool is done: a clip is cut there and sealed to the card, a sealed segment is opened there
 * for the cut. Only when the machine has no tmpfs does the work folder sit on the card (health
 * says so).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { SealedFile } from './age-file.js';

export const SEALED_SUFFIX = '.age';

export function isSealedPath(path: string): boolean {
  return path.endsWith(SEALED_SUFFIX);
}

/** The name a sealed file's contents had (`a.mp4.age` → `a.mp4`). */
export function plainName(path: string): string {
  return isSealedPath(path) ? path.slice(0, -SEALED_SUFFIX.length) : path;
}

export class PlainWorkspace {
  private constructor(readonly dir: string) {}

  /** A fresh folder under the vault's work folder; `close()` removes it and everything in it. */
  static async open(workRoot: string): Promise<PlainWorkspace> {
    const dir = join(workRoot, randomUUID());
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new PlainWorkspace(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes the plaintext of an opened sealed file here, under `name`. */
  async materialise(file: SealedFile, name: string): Promise<string> {
    const out = this.path(name);
    await pipeline(file.stream(), createWriteStream(out, { mode: 0o600 }));
    return out;
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
