import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK, NotForThisKeyError, newKeyPair, recipientOf, SealedFile, sealBytes, sealFile } from '../../../hub/vault/age-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'age-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readStream(f: SealedFile, start?: number, end?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of f.stream(start, end)) parts.push(b as Buffer);
  return Buffer.concat(parts);
}

describe('age files written with node:crypto', () => {
  it('makes key pairs age-encryption agrees with', async () => {
    const k = newKeyPair();
    expect(k.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    expect(k.recipient).toMatch(/^age1[0-9a-z]+$/);
    expect(await age.identityToRecipient(k.identity)).toBe(k.recipient);
    const theirs = await age.generateX25519Identity();
    expect(recipientOf(theirs)).toBe(await age.identityToRecipient(theirs));
  });

  // Sizes around the 64 KiB chunk edges, where the last-chunk flag is easiest to get wrong.
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7]) {
    it(`round-trips ${size} bytes both ways with age-encryption`, async () => {
      const a = newKeyPair();
      const b = newKeyPair();
      const plain = randomBytes(size);
      const path = join(dir, `ours-${size}.age`);
      const w = await sealBytes(plain, path, [a.recipient, b.recipient]);
      expect(w.plainSize).toBe(size);
      // Theirs opens ours, with either recipient's identity.
      for (const id of [a.identity, b.identity]) {
        const d = new age.Decrypter();
        d.addIdentity(id);
        expect(Buffer.from(await d.decrypt(await readFile(path))).equals(plain)).toBe(true);
      }
      // Ours opens theirs.
      const e = new age.Encrypter();
      e.addRecipient(a.recipient);
      const theirs = join(dir, `theirs-${size}.age`);
      await writeFile(theirs, await e.encrypt(plain));
      const f = await SealedFile.open(theirs, [b.identity, a.identity]);
      expect(f.plainSize).toBe(size);
      expect((await f.readAll()).equals(plain)).toBe(true);
    });
  }

  it('reads any byte range by decrypting only the chunks it touches', async () => {
    const k = newKeyPair();
    const plain = randomBytes(5 * CHUNK + 123);
    const path = join(dir, 'ranges.age');
    await sealBytes(plain, path, [k.recipient]);
    const f = await SealedFile.open(path, [k.identity]);
    for (const [s, e] of [
      [0, 0],
      [CHUNK - 1, CHUNK],
      [CHUNK, 2 * CHUNK - 1],
      [3 * CHUNK + 5, plain.length - 1],
      [100, 4 * CHUNK + 9],
    ] as const) {
      expect((await readStream(f, s, e)).equals(plain.subarray(s, e + 1)), `${s}-${e}`).toBe(true);
    }
  });

  it('hashes the plaintext as it writes (the evidence hash is the native file)', async () => {
    const k = newKeyPair();
    const src = join(dir, 'src.bin');
    const plain = randomBytes(2 * CHUNK + 9);
    await writeFile(src, plain);
    const w = await sealFile(src, join(dir, 'src.age'), [k.recipient]);
    const { createHash } = await import('node:crypto');
    expect(w.sha256).toBe(createHash('sha256').update(plain).digest('hex'));
    expect(await readFile(src)).toEqual(plain);
  });

  it('refuses a wrong key, an altered chunk, an altered header and a cut-short file', async () => {
    const k = newKeyPair();
    const plain = randomBytes(3 * CHUNK);
    const path = join(dir, 'tamper.age');
    await sealBytes(plain, path, [k.recipient]);
    await expect(SealedFile.open(path, [newKeyPair().identity])).rejects.toBeInstanceOf(NotForThisKeyError);
    const bytes = await readFile(path);
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 100] = (flipped[bytes.length - 100] ?? 0) ^ 1;
    await writeFile(join(dir, 'flipped.age'), flipped);
    const f = await SealedFile.open(join(dir, 'flipped.age'), [k.identity]);
    await expect(f.readAll()).rejects.toThrow(/failed authentication/);
    const cut = bytes.subarray(0, bytes.length - (CHUNK + 16));
    await writeFile(join(dir, 'cut.age'), cut);
    const g = await SealedFile.open(join(dir, 'cut.age'), [k.identity]);
    await expect(g.readAll()).rejects.toThrow(/failed authentication/);
    const head = Buffer.from(bytes);
    const at = head.indexOf('X25519 ') + 7;
    head[at] = head[at] === 0x41 ? 0x42 : 0x41;
    await writeFile(join(dir, 'head.age'), head);
    await expect(SealedFile.open(join(dir, 'head.age'), [k.identity])).rejects.toThrow();
  });
});
