/**
 * The `sanctuary` command line. The composition root (app/main.ts) passes in the plugins, so the
 * hub itself never imports plugins or detectors.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, describeError, HubError } from '../api/errors.js';
import type { HubPlugin } from '../api/plugin.js';
import { loadConfig } from '../config/load.js';
import { runBackup, runRestore } from './backup.js';
import { runCheck } from './check.js';
import { runDemo } from './demo.js';
import { runExports } from './exports.js';
import { runInstallService, runUninstallService } from './service.js';
import { runHub } from './start.js';
import { runMigrate, runUpdate } from './update.js';
import { runVerify } from './verify.js';

export interface Composition {
  /** Fresh plugin instances for one hub. */
  plugins(): HubPlugin<unknown>[];
  /** Extra commands (verify, ...) contributed by hub modules. */
  commands?: Record<string, { summary: string; run(args: string[]): Promise<number> }>;
}

const HELP = `sanctuary: the Sanctuary home-security hub

Usage: sanctuary <command> [options]

Commands:
  start            run the hub (config: ./sanctuary.yaml, else <data dir>/sanctuary.yaml, else embedded defaults)
  demo             run a simulated home on this machine: doorbell camera, door sensors, siren
  check            preflight: config, ffmpeg, disk, clock, broker
  verify           check an evidence package (zip) or, with --audit, the hub audit chain
  exports          evidence package builds and their progress (--watch follows them)
  install-service  install the systemd service (root; --print or --root DIR to only write the files)
  uninstall-service remove the systemd service (keeps the data folder)
  backup           write one encrypted file (age, passphrase) with database, config and keys; no footage
  restore          restore a backup into an empty data folder
  update           install a release package beside this one; roll back if its health is not ok
  migrate          apply this release's schema migrations to a database (--db FILE)
  help             this text

Options:
  -c, --config <file>    config file (YAML or JSON); also $SANCTUARY_CONFIG
  -d, --data-dir <dir>   data folder; also $SANCTUARY_DATA_DIR (default ./data)
  -h, --help             show help
`;

export async function runCli(argv: string[], composition: Composition): Promise<number> {
  const [command = 'help', ...rest] = argv;
  const extra = composition.commands ?? {};
  if (command === 'help' || command === '--help' || command === '-h') {
    const more = Object.entries(extra)
      .map(([name, c]) => `  ${name.padEnd(17)}${c.summary}`)
      .join('\n');
    process.stdout.write(more ? HELP.replace('  help ', `${more}\n  help `) : HELP);
    return 0;
  }
  const ext = extra[command];
  if (ext) return ext.run(rest);
  if (command === 'verify') return runVerify(rest);
  if (command === 'exports') return runExports(rest);
  if (command === 'backup') return runBackup(rest);
  if (command === 'update') return runUpdate(rest);
  if (command === 'migrate') return runMigrate(rest);
  if (command === 'restore') return runRestore(rest);
  if (command === 'install-service') return runInstallService(rest);
  if (command === 'uninstall-service') return runUninstallService(rest);
  if (!['start', 'demo', 'check'].includes(command)) {
    process.stderr.write(`sanctuary: unknown command "${command}". Try: sanctuary --help\n`);
    return 2;
  }
  let values: { config?: string | undefined; 'data-dir'?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c' },
        'data-dir': { type: 'string', short: 'd' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`sanctuary ${command}: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const explicit = values.config ?? process.env.SANCTUARY_CONFIG;
  try {
    if (command === 'demo') return await runDemo({ composition, dataDir: values['data-dir'] });
    // Without --config: ./sanctuary.yaml, else <data dir>/sanctuary.yaml, else embedded defaults.
    const fallback = existsSync('sanctuary.yaml')
      ? 'sanctuary.yaml'
      : join(values['data-dir'] ?? process.env.SANCTUARY_DATA_DIR ?? 'data', 'sanctuary.yaml');
    const loaded = await loadConfig(explicit ?? fallback, { explicit: explicit !== undefined });
    if (loaded.migratedFrom !== null) {
      process.stderr.write(`sanctuary: config migrated from version ${loaded.migratedFrom}; backup at ${loaded.backupPath}\n`);
    }
    if (command === 'check') return await runCheck(loaded.config, values['data-dir']);
    return await runHub({ config: loaded.config, composition, dataDir: values['data-dir'] });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sanctuary: refusing to start: ${err.message}\n`);
      return 78;
    }
    if (err instanceof HubError) {
      process.stderr.write(`sanctuary: ${describeError(err)}\n`);
      return 1;
    }
    process.stderr.write(`sanctuary: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
