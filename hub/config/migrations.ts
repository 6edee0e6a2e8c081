/**
 * One-step config migrations: `steps[n]` turns a version-n file into version n+1. A file with
 * no `version` is version 0 (the pre-release layout with flat `httpPort` / `mqttUrl` keys).
 */
import { ConfigError } from '../api/errors.js';
import { CONFIG_VERSION } from './schema.js';

type Raw = Record<string, unknown>;

const steps: Record<number, (c: Raw) => Raw> = {
  0: (c) => {
    const { httpPort, mqttUrl, ...rest } = c;
    const out: Raw = { ...rest, version: 1 };
    if (httpPort !== undefined) out.http = { ...((rest.http as Raw | undefined) ?? {}), port: httpPort };
    if (mqttUrl !== undefined) out.mqtt = { ...((rest.mqtt as Raw | undefined) ?? {}), url: mqttUrl };
    return out;
  },
};

export function migrateConfig(raw: Raw): { value: Raw; from: number | null } {
  const start = raw.version === undefined ? 0 : raw.version;
  if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
    throw new ConfigError('version', `must be a whole number (this hub understands up to ${CONFIG_VERSION})`);
  }
  if (start > CONFIG_VERSION) {
    throw new ConfigError('version', `is ${start}, newer than this hub understands (${CONFIG_VERSION}); update the hub`);
  }
  let value = raw;
  for (let v = start; v < CONFIG_VERSION; v++) {
    const step = steps[v];
    if (!step) throw new ConfigError('version', `no migration from version ${v}`);
    value = step(value);
  }
  return { value, from: start === CONFIG_VERSION ? null : start };
}
