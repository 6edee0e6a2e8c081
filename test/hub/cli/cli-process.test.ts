/**
 * The CLI as a real child process (from source via tsx): a bad config makes the hub refuse to
 * start with a non-zero exit naming the field, and `start` stops cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/hub.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

function runCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'app/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

describe('sanctuary CLI', () => {
  let dir = '';
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    children.length = 0;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a wrong type', 'version: 1\nhttp:\n  port: "eighty"\n', 'http.port'],
    ['an unknown key', 'version: 1\nrecorder:\n  bufferMinutse: 5\n', 'recorder'],
    [
      'a missing required field',
      'version: 1\ncameras:\n  - id: door\n    source:\n      type: rtsp\n      mainUrl: rtsp://127.0.0.1/x\n',
      'cameras.0.name',
    ],
    ['an unknown plugin section', 'version: 1\nplugins:\n  no-such-plugin: {}\n', 'plugins.no-such-plugin'],
  ])('refuses to start with %s, naming the field', async (_what, yaml, field) => {
    dir = await tempDir();
    const cfg = join(dir, 'sanctuary.yaml');
    await writeFile(cfg, yaml);
    const { child, done } = runCli(['start', '--config', cfg, '--data-dir', join(dir, 'data')]);
    children.push(child);
    const r = await done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('refusing to start');
    expect(r.stderr).toContain(field);
    // Nothing was started: no database was created.
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'data', 'sanctuary.db'))).toBe(false);
  });

  it('prints help', async () => {
    const { child, done } = runCli(['--help']);
    children.push(child);
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sanctuary <command>');
    expect(r.stdout).toContain('demo');
  });

  it('start: answers health, prints the setup code, and exits 0 on SIGTERM with no child left behind', async () => {
    dir = await tempDir();
    const cfg = join(dir, 'sanctuary.yaml');
    await writeFile(cfg, 'version: 1\nhttp:\n  host: 127.0.0.1\n  port: 0\n  tls:\n    enabled: false\nmqtt:\n  embedded:\n    port: 0\n');
    const { child, done } = runCli(['start', '--config', cfg, '--data-dir', join(dir, 'data')], { SANCTUARY_LOG_LEVEL: 'info' });
    children.push(child);
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start: ${output}`)), 25_000);
      child.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
        const m = /"url":"(http:\/\/[^"]+)".*"msg":"hub started"/.exec(output);
        if (m?.[1] && /setup code/.test(output)) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect(output).toMatch(/[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/);
    const health = (await (await fetch(`${url}/api/health`)).json()) as { up: boolean };
    expect(health).toEqual({ up: true });
    const pid = child.pid ?? 0;
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(0);
    const { execFileSync } = await import('node:child_process');
    const orphans = execFileSync('ps', ['-eo', 'pid,ppid,comm'])
      .toString()
      .split('\n')
      .filter((l) => l.trim().split(/\s+/)[1] === String(pid));
    expect(orphans).toEqual([]);
  });
});
