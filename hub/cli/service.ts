/**
 * `sanctuary install-service` / `uninstall-service`: the systemd unit (hub/appliance/systemd-unit)
 * plus a sysusers.d entry for the dedicated user and a tmpfiles.d entry for the data folder.
 * `--print` writes the unit to stdout; `--root DIR` writes the files under DIR and runs nothing
 * (an image being prepared, or a test); otherwise it needs root and enables the service.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import {
  renderSysusers,
  renderTmpfiles,
  renderUnit,
  SERVICE_NAME,
  SYSUSERS_PATH,
  TMPFILES_PATH,
  UNIT_PATH,
} from '../appliance/systemd-unit.js';
import { loadConfig } from '../config/load.js';

const run = promisify(execFile);

/** The checkout or release this code runs from: the folder holding bin/sanctuary.mjs (source or dist/). */
export function thisAppDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'sanctuary.mjs'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find bin/sanctuary.mjs above this file');
}

const HELP = `Usage: sanctuary install-service [options]
       sanctuary uninstall-service [--root DIR]

  --data-dir DIR       the hub's data folder (default /var/lib/sanctuary)
  --app-dir DIR        the release folder to run (default: this one; after \`sanctuary update\`, <install dir>/current)
  --user NAME          the dedicated system user (default sanctuary)
  --config FILE        read the ports from this config (default <data dir>/sanctuary.yaml, else defaults)
  --watchdog-seconds N systemd restarts the hub when it misses pings this long (default 30)
  --root DIR           write the files under DIR and run nothing (no systemctl, no user made)
  --print              print the unit and exit
`;

async function systemctl(args: string[], out: (s: string) => void): Promise<void> {
  out(`+ ${args.join(' ')}\n`);
  const [cmd, ...rest] = args;
  if (!cmd) return;
  await run(cmd, rest);
}

export async function runInstallService(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'app-dir': { type: 'string' },
        user: { type: 'string' },
        config: { type: 'string' },
        'watchdog-seconds': { type: 'string' },
        root: { type: 'string' },
        print: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`sanctuary install-service: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    out(HELP);
    return 0;
  }
  const dataDir = resolve(String(values['data-dir'] ?? '/var/lib/sanctuary'));
  const appDir = resolve(String(values['app-dir'] ?? thisAppDir())).replace(/\/$/, '');
  const user = String(values.user ?? SERVICE_NAME);
  const watchdogSeconds = Number(values['watchdog-seconds'] ?? 30);
  const configPath = typeof values.config === 'string' ? values.config : join(dataDir, 'sanctuary.yaml');
  let ports = [8443, 8080, 1883];
  try {
    const { config } = await loadConfig(configPath, { explicit: typeof values.config === 'string' });
    ports = [config.http.port, config.http.redirectPort ?? 0, config.mqtt.url ? 0 : config.mqtt.embedded.port];
  } catch (err) {
    process.stderr.write(`sanctuary install-service: ${(err as Error).message}\n`);
    return 78;
  }
  let unit: string;
  try {
    unit = renderUnit({ nodePath: process.execPath, appDir, dataDir, user, ports, watchdogSeconds });
  } catch (err) {
    process.stderr.write(`sanctuary install-service: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.print) {
    out(unit);
    return 0;
  }
  const root = typeof values.root === 'string' ? resolve(values.root) : '/';
  if (root === '/' && process.getuid?.() !== 0) {
    process.stderr.write('sanctuary install-service: needs root (sudo), or --root DIR / --print to only write the files\n');
    return 77;
  }
  const files: Array<[string, string]> = [
    [UNIT_PATH, unit],
    [SYSUSERS_PATH, renderSysusers(user, dataDir)],
    [TMPFILES_PATH, renderTmpfiles(user, dataDir)],
  ];
  for (const [rel, text] of files) {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, text, { mode: 0o644 });
    out(`wrote ${p}\n`);
  }
  if (root !== '/') return 0;
  await systemctl(['systemd-sysusers', join(root, SYSUSERS_PATH)], out);
  await systemctl(['systemd-tmpfiles', '--create', join(root, TMPFILES_PATH)], out);
  await systemctl(['systemctl', 'daemon-reload'], out);
  await systemctl(['systemctl', 'enable', '--now', `${SERVICE_NAME}.service`], out);
  out(`${SERVICE_NAME} is running; logs: journalctl -u ${SERVICE_NAME} -f\n`);
  return 0;
}

export async function runUninstallService(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let values: { root?: string | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { root: { type: 'string' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`sanctuary uninstall-service: ${(err as Error).message}\n`);
    return 2;
  }
  const root = values.root ? resolve(values.root) : '/';
  if (root === '/' && process.getuid?.() !== 0) {
    process.stderr.write('sanctuary uninstall-service: needs root (sudo), or --root DIR\n');
    return 77;
  }
  if (root === '/') await systemctl(['systemctl', 'disable', '--now', `${SERVICE_NAME}.service`], out);
  for (const rel of [UNIT_PATH, SYSUSERS_PATH, TMPFILES_PATH]) {
    await rm(join(root, rel), { force: true });
    out(`removed ${join(root, rel)}\n`);
  }
  if (root === '/') await systemctl(['systemctl', 'daemon-reload'], out);
  // The data folder and the user stay: they hold the hub's identity and evidence.
  out('the data folder and the system user were kept (they hold the hub identity and evidence)\n');
  return 0;
}
