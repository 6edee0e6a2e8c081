/**
 * Run a real Homebridge (the root devDependency) for a test: a temp storage dir with config.json,
 * insecure mode (`-I`) so a test controller can talk HAP without pairing, only this checkout's
 * plugin (`-P` + `--strict-plugin-resolution`), debug logging kept for failure messages. Started
 * in its own process group so stop() also ends any child bridge.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { tempDir } from '../../helpers/hub.js';

export const PLUGIN_DIR = resolve(import.meta.dirname, '../../../plugins/homebridge-sanctuary');
/** The root devDependency (1.11.4); SANCTUARY_HOMEBRIDGE_BIN runs the same tests against another install (a 2.x). */
const HOMEBRIDGE_BIN = process.env.SANCTUARY_HOMEBRIDGE_BIN ?? resolve(import.meta.dirname, '../../../node_modules/.bin/homebridge');

export interface HomebridgeOptions {
  /** The platform block (platform: 'SanctuaryHub' is added). */
  platform: Record<string, unknown>;
  /** Reuse a storage dir (cached accessories survive a restart). */
  storageDir?: string;
}

export interface RunningHomebridge {
  port: number;
  /** The bridge's setup code: insecure mode wants it in the Authorization header of writes. */
  pin: string;
  storageDir: string;
  process: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves when the output matches (already or later). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM the process group, SIGKILL after a grace period; resolves with the exit code once it has exited. */
  stop(): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

function randomMac(): string {
  const b = randomBytes(6);
  b[0] = ((b[0] ?? 0) & 0xfe) | 0x02; // locally administered, unicast
  return [...b].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

function randomPin(): string {
  const d = () => String(Math.floor(Math.random() * 10));
  // HAP refuses trivial codes such as 123-45-678 and 111-11-111; random digits avoid them in practice.
  return `${d()}${d()}${d()}-${d()}${d()}-${d()}${d()}${d()}`;
}

export async function startHomebridge(opts: HomebridgeOptions): Promise<RunningHomebridge> {
  const storageDir = opts.storageDir ?? (await tempDir('sanctuary-homebridge-'));
  await mkdir(storageDir, { recursive: true });
  const port = await freePort();
  const pin = randomPin();
  const config = {
    bridge: {
      name: 'Sanctuary Test Bridge',
      username: randomMac(),
      pin,
      port,
      advertiser: 'ciao',
      bind: ['127.0.0.1'],
    },
    accessories: [],
    platforms: [{ platform: 'SanctuaryHub', ...opts.platform }],
  };
  await writeFile(join(storageDir, 'config.json'), JSON.stringify(config, null, 2));

  const child = spawn(HOMEBRIDGE_BIN, ['-I', '-D', '-U', storageDir, '-P', PLUGIN_DIR, '--strict-plugin-resolution', '--no-qrcode'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  let out = '';
  const watchers = new Set<() => void>();
  const onChunk = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...watchers]) w();
  };
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  let exitedAlready = false;
  void exited.then(() => {
    exitedAlready = true;
    for (const w of [...watchers]) w();
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpMatchArray>((res, rej) => {
      const check = () => {
        const m = out.match(pattern);
        if (m) {
          clearTimeout(timer);
          watchers.delete(check);
          res(m);
        } else if (exitedAlready) {
          clearTimeout(timer);
          watchers.delete(check);
          rej(new Error(`homebridge exited before printing ${pattern}:\n${out}`));
        }
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        rej(new Error(`homebridge did not print ${pattern} within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      watchers.add(check);
      check();
    });

  const killGroup = (signal: NodeJS.Signals, evenAfterExit = false) => {
    if ((exitedAlready && !evenAfterExit) || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch (err) {
      // ESRCH: the group is already gone between the check and the kill.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };

  const running: RunningHomebridge = {
    port,
    pin,
    storageDir,
    process: child,
    output: () => out,
    waitForOutput,
    async stop() {
      killGroup('SIGTERM');
      const grace = setTimeout(() => killGroup('SIGKILL'), 8000);
      const code = await exited;
      clearTimeout(grace);
      // Child bridges live in the same group: make sure none outlived the parent.
      killGroup('SIGKILL', true);
      return code;
    },
  };
  try {
    await waitForOutput(/is running on port (\d+)/);
  } catch (err) {
    await running.stop();
    if (!opts.storageDir) await rm(storageDir, { recursive: true, force: true });
    throw err;
  }
  return running;
}

/** True while any process of the group still exists. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
