import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../hub/api/errors.js';
import { loadConfig, validateConfig } from '../../../hub/config/load.js';
import { CONFIG_VERSION } from '../../../hub/config/schema.js';
import { tempDir } from '../../helpers/hub.js';

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('fills every default from an empty config', () => {
    const c = validateConfig({ version: CONFIG_VERSION });
    expect(c.http.port).toBe(8443);
    expect(c.http.redirectPort).toBe(8080);
    expect(c.http.tls.enabled).toBe(true);
    expect(c.mqtt.url).toBeNull();
    expect(c.mqtt.embedded).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(c.recorder.bufferMinutes).toBe(10);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.http)).toBe(true);
  });

  it('names the field with a wrong type', () => {
    const e = configErrorOf(() => validateConfig({ version: CONFIG_VERSION, http: { port: 'eighty' } }));
    expect(e.field).toBe('http.port');
    expect(e.message).toContain('http.port');
    expect(e.message).toMatch(/number/);
  });

  it('names an unknown key (usually a typo)', () => {
    const e = configErrorOf(() => validateConfig({ version: CONFIG_VERSION, http: { prot: 8080 } }));
    expect(e.field).toBe('http');
    expect(e.message).toContain('"prot"');
  });

  it('names a missing required field inside a device', () => {
    const e = configErrorOf(() =>
      validateConfig({
        version: CONFIG_VERSION,
        sensors: [{ id: 'front', kind: 'door', source: { type: 'zigbee2mqtt', friendlyName: 'f' } }],
      }),
    );
    expect(e.field).toBe('sensors.0.name');
    expect(e.message).toMatch(/missing/);
  });

  it('refuses a version newer than this hub', () => {
    const e = configErrorOf(() => validateConfig({ version: 99 }));
    expect(e.field).toBe('version');
  });
});

describe('config file loading and migration', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('migrates a version 0 file one step at a time, keeping a backup first', async () => {
    dir = await tempDir();
    const path = join(dir, 'sanctuary.yaml');
    const original = 'httpPort: 9090\nmqttUrl: mqtt://127.0.0.1:1884\nhome:\n  name: Flat 2\n';
    await writeFile(path, original);
    const loaded = await loadConfig(path, { explicit: true });
    expect(loaded.migratedFrom).toBe(0);
    expect(loaded.config.version).toBe(CONFIG_VERSION);
    expect(loaded.config.http.port).toBe(9090);
    expect(loaded.config.mqtt.url).toBe('mqtt://127.0.0.1:1884');
    expect(loaded.config.home.name).toBe('Flat 2');
    expect(await readFile(`${path}.v0.bak`, 'utf8')).toBe(original);
    const rewritten = await readFile(path, 'utf8');
    expect(rewritten).toContain('version: 1');
    // Loading again is a no-op: nothing left to migrate.
    expect((await loadConfig(path, { explicit: true })).migratedFrom).toBeNull();
  });

  it('does not rewrite a file whose migrated form is invalid', async () => {
    dir = await tempDir();
    const path = join(dir, 'sanctuary.yaml');
    await writeFile(path, 'httpPort: -5\n');
    await expect(loadConfig(path, { explicit: true })).rejects.toThrow(/http\.port/);
    expect(await readFile(path, 'utf8')).toBe('httpPort: -5\n');
  });

  it('reports unparseable YAML with the file name', async () => {
    dir = await tempDir();
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'http: [unclosed\n');
    await expect(loadConfig(path, { explicit: true })).rejects.toThrow(/cannot parse .*bad\.yaml/);
  });

  it('uses embedded defaults when the default file is absent, but not when a named file is missing', async () => {
    dir = await tempDir();
    const loaded = await loadConfig(join(dir, 'sanctuary.yaml'), { explicit: false });
    expect(loaded.path).toBeNull();
    await expect(loadConfig(join(dir, 'missing.yaml'), { explicit: true })).rejects.toThrow(/cannot read config file/);
  });
});
