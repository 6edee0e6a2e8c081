/**
 * Loading the config file: read (YAML or JSON), migrate one version at a time (writing a backup
 * of the file first), validate, freeze. Any problem stops the hub before anything starts, with a
 * message that names the field.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import YAML from 'yaml';
import type { ZodError } from 'zod';
import { ConfigError, HubError } from '../api/errors.js';
import { migrateConfig } from './migrations.js';
import { CONFIG_VERSION, configSchema, type HubConfig } from './schema.js';

export interface LoadedConfig {
  config: Readonly<HubConfig>;
  path: string | null;
  migratedFrom: number | null;
  backupPath: string | null;
}

export function formatZodIssues(error: ZodError, prefix = ''): { field: string; problem: string; all: string[] } {
  const all = error.issues.map((issue) => {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${field || '(root)'}: ${describeIssue(issue)}`;
  });
  const first = error.issues[0];
  const field = first ? [prefix, ...first.path.map(String)].filter(Boolean).join('.') : prefix;
  return { field, problem: first ? describeIssue(first) : 'invalid', all };
}

function describeIssue(issue: ZodError['issues'][number]): string {
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `required field is missing (expected ${issue.expected})`;
  return issue.message;
}

/** Validate a parsed object (already migrated) and freeze it. */
export function validateConfig(raw: unknown): Readonly<HubConfig> {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const { field, problem, all } = formatZodIssues(parsed.error);
    throw new ConfigError(field, all.length > 1 ? `${problem} (and: ${all.slice(1).join('; ')})` : problem);
  }
  return deepFreeze(parsed.data);
}

export function parseConfigText(text: string, path: string): unknown {
  try {
    return path.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new ConfigError('(file)', `cannot parse ${path}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/**
 * Load the config from `path`; with no path (or a missing default file) the embedded defaults
 * are used. An explicit path that does not exist is an error.
 */
export async function loadConfig(path: string | null, options: { explicit: boolean }): Promise<LoadedConfig> {
  if (path === null)
    return {
      config: validateConfig({ version: CONFIG_VERSION }),
      path: null,
      migratedFrom: null,
      backupPath: null,
    };
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !options.explicit) {
      return {
        config: validateConfig({ version: CONFIG_VERSION }),
        path: null,
        migratedFrom: null,
        backupPath: null,
      };
    }
    throw new HubError('HUB_ERR_CONFIG_UNREADABLE', `cannot read config file ${abs}: ${(err as Error).message}`, { cause: err });
  }
  const raw = parseConfigText(text, abs) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('(root)', 'the config file must hold an object');
  const { value, from } = migrateConfig(raw as Record<string, unknown>);
  let backupPath: string | null = null;
  if (from !== null) {
    // Validate before touching the file so a bad config is never rewritten.
    validateConfig(value);
    backupPath = `${abs}.v${from}.bak`;
    await copyFile(abs, backupPath);
    await writeFile(abs, abs.endsWith('.json') ? `${JSON.stringify(value, null, 2)}\n` : YAML.stringify(value), 'utf8');
  }
  return {
    config: validateConfig(value),
    path: abs,
    migratedFrom: from,
    backupPath,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
