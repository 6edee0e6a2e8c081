/**
 * Reading footage whether it is sealed (`.age`, opened with a key the caller holds) or plain (a
 * segment still in the RAM buffer, a working file in the RAM workspace, footage from before
 * encryption at rest). Sizes and hashes are always the plaintext's: the evidence is the native
 * file, and the seal is only how it is kept.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { SealedFile } from './age-file.js';
import { isSealedPath } from './plain-copies.js';

export interface MediaFile {
  /** Plaintext bytes. */
  size: number;
  /** Plaintext bytes [start, end] inclusive. */
  stream(start?: number, end?: number): Readable;
}

/** How a caller opens sealed files: with its own key, the owner's, or the hub's boot key. */
export type SealedOpener = (abs: string) => Promise<SealedFile>;

export async function openMedia(abs: string, open: SealedOpener): Promise<MediaFile> {
  if (isSealedPath(abs)) {
    const f = await open(abs);
    return {
      size: f.plainSize,
      stream: (start = 0, end = f.plainSize - 1) => f.stream(start, end),
    };
  }
  const { size } = await stat(abs);
  return {
    size,
    stream: (start = 0, end = size - 1) => createReadStream(abs, { start, end: Math.max(start, end), highWaterMark: 1 << 20 }),
  };
}

export async function hashMedia(m: MediaFile): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  if (m.size > 0) {
    for await (const chunk of m.stream()) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  }
  return { sha256: h.digest('hex'), size };
}

export async function readMedia(m: MediaFile): Promise<Buffer> {
  if (m.size === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const chunk of m.stream()) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Positioned reads over a media file (for box parsers that read a header here and there). */
export function rangeSource(m: MediaFile): { size: number; read(position: number, length: number): Promise<Buffer> } {
  return {
    size: m.size,
    read: async (position, length) => {
      const end = Math.min(m.size, position + length) - 1;
      if (end < position) return Buffer.alloc(0);
      const parts: Buffer[] = [];
      for await (const chunk of m.stream(position, end)) parts.push(chunk as Buffer);
      return Buffer.concat(parts);
    },
  };
}
