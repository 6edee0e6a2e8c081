/** `sanctuary check`: preflight before handing a home over. Prints one line per check. */
import { mkdir } from 'node:fs/promises';
import mqtt from 'mqtt';
import { describeError } from '../api/errors.js';
import { resolveDataDir } from '../app.js';
import type { HubConfig } from '../config/schema.js';
import { diskFree } from '../health/probes.js';
import { redactUrl } from '../log/logger.js';
import { resolveFfmpeg } from '../media/ffmpeg.js';

export async function runCheck(config: Readonly<HubConfig>, dataDirArg: string | undefined): Promise<number> {
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
  const now = Date.now();
  line(now > Date.UTC(2024, 0, 1), 'clock', new Date(now).toISOString());
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
