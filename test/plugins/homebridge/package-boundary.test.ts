/**
 * The plugin ships as its own npm package and reaches the hub only over the network: it must
 * import nothing outside its folder, Homebridge only as types (Homebridge hands the runtime in),
 * and every other package it imports must be one of its declared dependencies.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLUGIN_DIR } from './homebridge-process.js';

interface Found {
  file: string;
  spec: string;
  typeOnly: boolean;
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

async function imports(): Promise<Found[]> {
  const found: Found[] = [];
  for (const file of await sources(join(PLUGIN_DIR, 'src'))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[2] ?? m[3];
      if (spec) found.push({ file: relative(PLUGIN_DIR, file), spec, typeOnly: Boolean(m[1]) });
    }
  }
  return found;
}

describe('homebridge-sanctuary package boundary', () => {
  it('imports nothing from outside its own folder', async () => {
    const all = await imports();
    expect(all.length).toBeGreaterThan(20);
    const escaping = all.filter(
      (i) => i.spec.startsWith('.') && relative(PLUGIN_DIR, resolve(PLUGIN_DIR, dirname(i.file), i.spec)).startsWith('..'),
    );
    expect(escaping).toEqual([]);
  });

  it('imports Homebridge as types only, and other packages only if declared', async () => {
    const pkg = JSON.parse(await readFile(join(PLUGIN_DIR, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      engines: Record<string, string>;
      keywords: string[];
    };
    const bare = (await imports()).filter((i) => !i.spec.startsWith('.') && !i.spec.startsWith('node:'));
    expect(bare.filter((i) => i.spec === 'homebridge' && !i.typeOnly)).toEqual([]);
    const undeclared = bare.filter((i) => i.spec !== 'homebridge' && !(i.spec in pkg.dependencies));
    expect(undeclared).toEqual([]);
    expect(pkg.peerDependencies.homebridge).toBe('^1.8.0 || ^2.0.0');
    expect(pkg.engines.homebridge).toBe('^1.8.0 || ^2.0.0');
    expect(pkg.keywords).toContain('homebridge-plugin');
  });

  it('offers every setting it reads in config.schema.json', async () => {
    const schema = JSON.parse(await readFile(join(PLUGIN_DIR, 'config.schema.json'), 'utf8')) as {
      pluginAlias: string;
      pluginType: string;
      schema: { properties: Record<string, unknown> };
    };
    expect(schema.pluginAlias).toBe('SanctuaryHub');
    expect(schema.pluginType).toBe('platform');
    const settings = await readFile(join(PLUGIN_DIR, 'src/settings.ts'), 'utf8');
    const read = [...settings.matchAll(/(?:str|bool|int)\(raw, '([a-zA-Z]+)'/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(5);
    expect(Object.keys(schema.schema.properties).sort()).toEqual([...new Set(read)].sort());
  });
});
