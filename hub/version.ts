/**
 * This release's version: the `version` of the package.json it was installed from, so a release
 * directory made by `sanctuary update` reports what it is without a rebuild.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(join(dir, 'bin', 'sanctuary.mjs')) && existsSync(p)) {
      const v = (JSON.parse(readFileSync(p, 'utf8')) as { version?: unknown }).version;
      if (typeof v === 'string') return v;
    }
    dir = dirname(dir);
  }
  return '0.0.0-unknown';
}

export const HUB_VERSION = readVersion();
