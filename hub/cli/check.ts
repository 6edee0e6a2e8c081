/** `sanctuary check`: preflight before handing a home over. Prints one line per check. */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describeError } from '../api/errors.js';
import { resolveDataDir } from '../app.js';
import type { HubConfig } from '../config/schema.js';
import { diskFree } from '../health/probes.js';
import { tlsDir } from '../http/tls.js';
import { redactUrl } from '../log/logger.js';
import { resolveFfmpeg } from '../media/ffmpeg.js';

/** `now` is only for tests of certificate expiry. */
export async function runCheck(config: Readonly<HubConfig>, dataDirArg: string | undefined, now: number = Date.now()): Promise<number> {
  let failed = 0;
  const line = (ok: boolean | 'warn', name: string, text: string) => {
    if (ok === false) failed++;
    process.stdout.write(`${ok === true ? 'ok  ' : ok === 'warn' ? 'warn' : 'FAIL'}  ${name.padEnd(8)} ${text}\n`);
  };
  line(true, 'config', 'valid');
  try {
    const f = await resolveFfmpeg(config.ffmpeg.path);
    line(true, 'ffmpeg', `${f.version} at ${f.path} (${f.origin})`);
  } catch (err) {
    line(false, 'ffmpeg', describeError(err));
  }
  const dataDir = resolveDataDir(config, dataDirArg);
  try {
    await mkdir(dataDir, { recursive: true });
    const { free } = await diskFree(dataDir);
    line(free > 1024 ** 3 ? true : 'warn', 'disk', `${(free / 1024 ** 3).toFixed(1)} GB free at ${dataDir}`);
  } catch (err) {
    line(false, 'disk', describeError(err));
  }
  line(now > Date.UTC(2024, 0, 1), 'clock', new Date(now).toISOString());
  await checkCertificate(config, dataDir, now, line);
  if (config.mqtt.url) {
    const url = config.mqtt.url;
    const ok = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(url, {
        connectTimeout: 5000,
        reconnectPeriod: 0,
        ...(config.mqtt.username ? { username: config.mqtt.username } : {}),
        ...(config.mqtt.password ? { password: config.mqtt.password } : {}),
      });
      c.once('connect', () => {
        c.end(true);
        resolve(true);
      });
      c.once('error', () => {
        c.end(true);
        resolve(false);
      });
      setTimeout(() => {
        c.end(true);
        resolve(false);
      }, 6000).unref();
    });
    line(ok, 'broker', `${redactUrl(url)} ${ok ? 'reachable' : 'not reachable'}`);
  } else {
    line(true, 'broker', `embedded, will listen on ${config.mqtt.embedded.host}:${config.mqtt.embedded.port}`);
  }
  return failed === 0 ? 0 : 1;
}

const DAY = 24 * 3600 * 1000;

/** Certificate expiry. The hub renews its own certificate at start; a brought one the user must renew. */
async function checkCertificate(
  config: Readonly<HubConfig>,
  dataDir: string,
  now: number,
  line: (ok: boolean | 'warn', name: string, text: string) => void,
): Promise<void> {
  const tls = config.http.tls;
  if (!tls.enabled) {
    line('warn', 'tls', `off: plain HTTP on loopback ${config.http.host} (only safe behind a TLS reverse proxy on this machine)`);
    return;
  }
  const own = tls.certFile === null;
  const path = tls.certFile ?? join(tlsDir(dataDir), 'server.crt');
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if (own && (err as NodeJS.ErrnoException).code === 'ENOENT')
      line(true, 'tls', 'the hub makes its own CA and certificate at first start');
    else line(false, 'tls', `cannot read ${path}: ${describeError(err)}`);
    return;
  }
  let notAfter: number;
  try {
    notAfter = Date.parse(new X509Certificate(pem).validTo);
  } catch (err) {
    line(false, 'tls', `${path} is not a PEM certificate: ${describeError(err)}`);
    return;
  }
  const days = Math.floor((notAfter - now) / DAY);
  const when = new Date(notAfter).toISOString().slice(0, 10);
  if (days < 0)
    line(
      own ? 'warn' : false,
      'tls',
      `certificate expired on ${when}${own ? ' (the hub makes a new one at next start)' : `: renew ${path}`}`,
    );
  else if (days < 30)
    line('warn', 'tls', `certificate expires in ${days} days (${when})${own ? '; the hub renews it at next start' : `: renew ${path}`}`);
  else line(true, 'tls', `certificate valid until ${when} (${days} days)`);
}
