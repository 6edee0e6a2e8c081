/**
 * `sanctuary update <package>` (hub/appliance/update) under systemd, and `sanctuary migrate`,
 * which the updater runs from the *new* release on a copy of the database.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { describeError } from '../api/errors.js';
import { SERVICE_NAME } from '../appliance/systemd-unit.js';
import { applyUpdate, type ServiceControl } from '../appliance/update.js';
import { Database } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';

const run = promisify(execFile);

/**
 * GET url; true on 200 {"up":true}. The public health route is enough: it says up: false (503)
 * exactly when a critical component failed, needs no account (the updater has none), and says
 * nothing about the home. HTTPS is checked against the hub's own CA when there is one.
 */
export function healthCheck(url: string, caFile: string | null): () => Promise<boolean> {
  const ca = caFile && existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined;
  return () =>
    url.startsWith('https:')
      ? new Promise((done, fail) => {
          const req = request(url, { ...(ca ? { ca } : {}), timeout: 3000 }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString();
            });
            res.on('end', () => done(res.statusCode === 200 && body.includes('"up":true')));
          });
          req.on('timeout', () => req.destroy(new Error('health check timed out')));
          req.on('error', fail);
          req.end();
        })
      : fetch(url, { signal: AbortSignal.timeout(3000) }).then(async (r) => r.status === 200 && (await r.text()).includes('"up":true'));
}

export async function runUpdate(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        'install-dir': { type: 'string' },
        'data-dir': { type: 'string', short: 'd' },
        'health-url': { type: 'string' },
        'health-timeout': { type: 'string' },
        'health-settle': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    const pkg = positionals[0];
    if (!pkg)
      throw new Error(
        'usage: sanctuary update <package.tgz> [--install-dir /opt/sanctuary] [--data-dir /var/lib/sanctuary] [--health-timeout 90] [--health-settle 30]',
      );
    const dataDir = resolve(values['data-dir'] ?? process.env.SANCTUARY_DATA_DIR ?? '/var/lib/sanctuary');
    const unit = `${SERVICE_NAME}.service`;
    const service: ServiceControl = {
      stop: async () => {
        await run('systemctl', ['stop', unit]);
      },
      start: async () => {
        await run('systemctl', ['start', unit]);
      },
      healthy: healthCheck(values['health-url'] ?? 'https://127.0.0.1:8443/api/health', join(dataDir, 'tls', 'ca.crt')),
    };
    const r = await applyUpdate({
      packagePath: pkg,
      installDir: values['install-dir'] ?? '/opt/sanctuary',
      dataDir,
      service,
      healthTimeoutMs: Number(values['health-timeout'] ?? 90) * 1000,
      // Longer than the liveness limit (20 s), so a critical loop that hangs at start is seen.
      healthSettleMs: Number(values['health-settle'] ?? 30) * 1000,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`update ${r.fromVersion} -> ${r.toVersion}: ${r.outcome} (${r.detail})\n`);
    return r.outcome === 'installed' ? 0 : 1;
  } catch (err) {
    process.stderr.write(`sanctuary update: ${describeError(err)}\n`);
    return 1;
  }
}

export async function runMigrate(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { db: { type: 'string' }, 'data-dir': { type: 'string', short: 'd' } },
      strict: true,
    });
    const path = values.db ?? join(resolve(values['data-dir'] ?? process.env.SANCTUARY_DATA_DIR ?? 'data'), 'sanctuary.db');
    if (!existsSync(path)) throw new Error(`no database at ${path}`);
    const db = await Database.open(path);
    try {
      const applied = await migrate(db);
      process.stdout.write(applied.length ? `applied migrations ${applied.join(', ')}\n` : 'schema up to date\n');
    } finally {
      await db.close();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`sanctuary migrate: ${describeError(err)}\n`);
    return 1;
  }
}
