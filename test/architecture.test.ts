/**
 * Dependencies point one way: plugins/ and detectors/ import only hub/api; hub/ never imports
 * plugins/, detectors/, ui/ or app/; ui/ imports only types from hub/api.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(new URL('..', import.meta.url).pathname);

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(p)));
    else if (/\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface Import {
  file: string;
  target: string;
  typeOnly: boolean;
}

async function importsOf(folder: string): Promise<Import[]> {
  const out: Import[] = [];
  for (const file of await tsFiles(join(ROOT, folder))) {
    const text = await readFile(file, 'utf8');
    const re = /(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
    for (const m of text.matchAll(re)) {
      const spec = m[3] ?? m[4];
      if (!spec?.startsWith('.')) continue;
      out.push({ file: relative(ROOT, file), target: relative(ROOT, resolve(dirname(file), spec)), typeOnly: Boolean(m[2]) });
    }
  }
  return out;
}

describe('architecture: dependency direction', () => {
  it('hub/ never imports plugins/, detectors/, ui/ or app/', async () => {
    const bad = (await importsOf('hub')).filter((i) => /^(plugins|detectors|ui|app)\//.test(i.target));
    expect(bad).toEqual([]);
  });

  it('plugins/ and detectors/ import only hub/api from the hub', async () => {
    const all = [...(await importsOf('plugins')), ...(await importsOf('detectors'))];
    const bad = all.filter((i) => i.target.startsWith('hub/') && !i.target.startsWith('hub/api/'));
    expect(bad).toEqual([]);
    const crossing = all.filter((i) => i.target.startsWith('ui/') || i.target.startsWith('app/'));
    expect(crossing).toEqual([]);
  });

  it('ui/ imports only types from hub/api', async () => {
    const bad = (await importsOf('ui')).filter((i) => i.target.startsWith('hub/') && (!i.target.startsWith('hub/api/') || !i.typeOnly));
    expect(bad).toEqual([]);
  });

  it('the scanner sees real imports (guards against a check that cannot fail)', async () => {
    const hubImports = await importsOf('hub');
    expect(hubImports.some((i) => i.target.startsWith('hub/api/'))).toBe(true);
  });
});
