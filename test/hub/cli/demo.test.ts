/**
 * `sanctuary demo` as a newcomer runs it (from source, as a child process): sensor events from
 * the simulated Zigbee2MQTT sensors arrive through the broker, in the log and on the API, and
 * SIGTERM leaves no child process (ffmpeg, RTSP server, ...) behind.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../helpers/api-client.js';
import { tempDir } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/ports.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=']).toString().trim().split('\n');
  const children = new Map<number, number[]>();
  for (const row of rows) {
    const [p, pp] = row.trim().split(/\s+/).map(Number);
    if (p === undefined || pp === undefined) continue;
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('sanctuary demo', () => {
  let child: ChildProcess | null = null;
  let dir = '';
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows sensor events from the simulated sensors in the log and on /api, and stops cleanly', async () => {
    dir = await tempDir();
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'app/main.ts'), 'demo', '--data-dir', join(dir, 'demo')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', SANCTUARY_HTTP_PORT: '0', SANCTUARY_MQTT_PORT: '0', SANCTUARY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

    const url = await waitFor(() => /Open (https:\/\/127\.0\.0\.1:\d+) in a browser/.exec(out)?.[1], `demo URL in output:\n${out}`, 60_000);
    const creds = /demo-owner \/ (\S+)/.exec(out);
    expect(creds?.[1]).toBeTruthy();
    // The simulated front door opens every 10 s: the event shows in the printed log...
    await waitFor(() => /\[hub\] \S+ sensor\.opened .*front-door/.test(out), `sensor.opened in demo output:\n${out}`, 30_000);
    // ...and on the API, for the signed-in owner.
    // The demo serves HTTPS with its own CA: trust exactly that one, like a phone would.
    const owner = new ApiClient(url, { ca: await readFile(join(dir, 'demo', 'tls', 'ca.crt'), 'utf8') });
    expect((await owner.login('demo-owner', creds?.[1] ?? '')).status).toBe(200);
    const events = await owner.get<{ events: Array<{ name: string; payload: { sensorId?: string } }> }>(
      '/api/events?names=sensor.opened,sensor.closed',
    );
    expect(events.status).toBe(200);
    expect(events.body.events.some((e) => e.name === 'sensor.opened' && e.payload.sensorId === 'front-door')).toBe(true);

    const kids = descendants(proc.pid ?? 0);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => kids.every((k) => !alive(k)), 'every child of the demo to exit', 6_000);
  }, 120_000);
});
