/**
 * A real hub as a separate process (`bin/sanctuary.mjs start`, as systemd runs it), for tests
 * that need what only a process has: being killed with SIGKILL, its own PATH and environment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { thisAppDir } from '../../hub/cli/service.js';
import { freePort, waitFor } from './ports.js';

export class HubProcess {
  child: ChildProcess | null = null;
  output = '';

  private constructor(
    readonly url: string,
    private readonly args: string[],
  ) {}

  /** A plain-HTTP hub on loopback with its data in `dataDir` and its config beside it. */
  static async create(dir: string, dataDir: string): Promise<HubProcess> {
    const port = await freePort();
    const cfg = join(dir, 'sanctuary.yaml');
    await writeFile(
      cfg,
      `version: 1\nhttp:\n  host: 127.0.0.1\n  port: ${port}\n  redirectPort: null\n  tls: { enabled: false }\nmqtt:\n  embedded: { host: 127.0.0.1, port: 0 }\nrecorder:\n  ramBuffer: { enabled: false }\n`,
    );
    return new HubProcess(`http://127.0.0.1:${port}`, ['--config', cfg, '--data-dir', dataDir]);
  }

  /** Starts it and waits until it serves; `env` replaces variables of this process's environment. */
  async start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [join(thisAppDir(), 'bin', 'sanctuary.mjs'), 'start', ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const add = (d: Buffer) => {
      this.output += d.toString();
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
    this.child = child;
    await waitFor(() => /"msg":"hub started"/.test(this.output) || child.exitCode !== null, 'the hub to start', 60_000);
    if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode}:\n${this.output}`);
  }

  /** The one-time setup code a fresh hub prints. */
  setupCode(): string | null {
    return /([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/.exec(this.output)?.[1] ?? null;
  }

  /** SIGTERM (a clean stop) or SIGKILL (as a power cut leaves it); resolves when it exited. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number | null> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill(signal);
    return exited;
  }
}
