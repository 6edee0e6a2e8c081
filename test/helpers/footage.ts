/**
 * Reading footage in tests as the hub itself would: files on the card are sealed (age), so a test
 * opens them with the hub's boot key or a signed-in owner's key (`Vault.openForHub`), never by
 * reading the sealed bytes as if they were media. `plainCopy` writes the plaintext to a file in the
 * test's own data folder for tools that want a path (ffprobe, ffmpeg); it goes with the folder.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Hub } from '../../hub/app.js';
import { openMedia, readMedia } from '../../hub/vault/media-reader.js';
import { PlainWorkspace, plainName } from '../../hub/vault/plain-copies.js';

type HasHub = { hub: Hub; dataDir: string };

const abs = (t: HasHub, path: string) => (isAbsolute(path) ? path : join(t.dataDir, path));

/** The plaintext bytes of a (sealed or plain) file of the hub's data folder. */
export async function footageBytes(t: HasHub, path: string): Promise<Buffer> {
  return readMedia(await openMedia(abs(t, path), (p) => t.hub.core.vault.openForHub(p)));
}

/** A plaintext copy of the file for tools that need a path; named like the original without `.age`. */
export async function plainCopy(t: HasHub, path: string): Promise<string> {
  const dir = join(t.dataDir, '.test-plain');
  await mkdir(dir, { recursive: true });
  const ws = await PlainWorkspace.open(dir);
  const media = await openMedia(abs(t, path), (p) => t.hub.core.vault.openForHub(p));
  const out = ws.path(basename(plainName(path)));
  await pipeline(media.stream(), createWriteStream(out));
  return out;
}
