/**
 * A real mosquitto (apt, /usr/sbin/mosquitto) on a loopback port for tests. With `persistence`
 * it keeps sessions and queued messages in `dir` across a restart, as a home broker would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitFor } from './ports.js';

export async function startMosquitto(port: number, dir: string, opts: { persistence?: boolean } = {}): Promise<ChildProcess> {
  const conf = join(dir, 'mosquitto.conf');
  const persistence = opts.persistence ? `persistence true\npersistence_location ${dir}/\nautosave_interval 1\n` : 'persistence false\n';
  // Started as root, mosquitto drops to the `mosquitto` user: it must be able to write its database here.
  if (opts.persistence) await chmod(dir, 0o777);
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n${persistence}`);
  const proc = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
        c.once('connect', () => c.end(true, () => resolve(true)));
        c.once('error', () => c.end(true, () => resolve(false)));
      }),
    'mosquitto to accept connections',
  );
  return proc;
}

/** SIGTERM (mosquitto saves its persistence file on the way out) and wait for the exit. */
export function stopMosquitto(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}
