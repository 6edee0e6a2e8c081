/**
 * Start a real hub for a test: SQLite in a temp dir, the embedded broker on a free loopback port,
 * HTTP on port 0. `close()` stops everything and removes the temp dir.
 *
 * Test hubs serve plain HTTP on 127.0.0.1 unless asked for `tls: true`: the config allows plain
 * HTTP only on a loopback bind (the same rule a reverse proxy on the box relies on), so the many
 * tests that are about something else keep talking plain HTTP and WebSocket, while the TLS tests
 * (test/hub/http/tls.test.ts, the account e2e) run the real default: the hub's own CA, HTTPS, and
 * the plain-HTTP redirect listener. `ca` is then the PEM a client must trust.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubPlugin } from '../../hub/api/plugin.js';
import { Hub, type HubOptions } from '../../hub/app.js';
import { validateConfig } from '../../hub/config/load.js';
import { CONFIG_VERSION, type HubConfigInput } from '../../hub/config/schema.js';
import type { HubModule } from '../../hub/core.js';
import { LogCapture } from './log-capture.js';

export interface TestHub {
  hub: Hub;
  url: string;
  mqttUrl: string;
  dataDir: string;
  logs: LogCapture;
  setupCode: string | null;
  /** The hub's CA certificate (PEM) when it serves HTTPS, else null. */
  ca: string | null;
  /** The plain-HTTP redirect listener ('' without TLS). */
  httpUrl: string;
  close(): Promise<void>;
}

export interface TestHubOptions {
  config?: Partial<HubConfigInput>;
  plugins?: HubPlugin<unknown>[];
  modules?: HubModule[];
  dataDir?: string;
  clock?: HubOptions['clock'];
  uiDir?: string | null;
  pluginStartTimeoutMs?: number;
  /** Without a systemd watchdog: how long a critical loop may be silent before health says failed. */
  loopSilenceMs?: number;
  /** Keep the data dir on close (restart tests reopen it). */
  keepDataDir?: boolean;
  /** NOTIFY_SOCKET / WATCHDOG_USEC as systemd would set them (the watchdog test). */
  systemdEnv?: NodeJS.ProcessEnv;
  /** Serve HTTPS with the hub's own CA and a plain-HTTP redirect listener on a free port (the real default). */
  tls?: boolean;
}

export async function tempDir(prefix = 'sanctuary-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function testConfig(overrides: Partial<HubConfigInput> = {}, tls = false): HubConfigInput {
  return {
    version: CONFIG_VERSION,
    ...overrides,
    http: {
      host: '127.0.0.1',
      port: 0,
      ...(tls ? { redirectPort: 0, tls: { enabled: true } } : { redirectPort: null, tls: { enabled: false } }),
      ...(overrides.http ?? {}),
    },
    mqtt: { ...(overrides.mqtt ?? {}), embedded: { host: '127.0.0.1', port: 0, ...(overrides.mqtt?.embedded ?? {}) } },
    // Tests keep segments in their temp data folder (and its disk-full tmpfs) unless they test the RAM buffer.
    recorder: { ramBuffer: { enabled: false }, ...(overrides.recorder ?? {}) },
  };
}

export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const logs = new LogCapture();
  const hubOpts: HubOptions = {
    config: validateConfig(testConfig(opts.config, opts.tls ?? false)),
    plugins: opts.plugins ?? [],
    log: logs.logger,
    dataDir,
    uiDir: opts.uiDir ?? null,
  };
  if (opts.modules) hubOpts.modules = opts.modules;
  if (opts.systemdEnv) hubOpts.systemdEnv = opts.systemdEnv;
  if (opts.clock) hubOpts.clock = opts.clock;
  if (opts.pluginStartTimeoutMs) hubOpts.pluginStartTimeoutMs = opts.pluginStartTimeoutMs;
  if (opts.loopSilenceMs) hubOpts.loopSilenceMs = opts.loopSilenceMs;
  const hub = new Hub(hubOpts);
  let started: { url: string; setupCode: string | null };
  try {
    started = await hub.start();
  } catch (err) {
    await hub.stop('start failed');
    if (!opts.keepDataDir && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    hub,
    url: started.url,
    mqttUrl: hub.core.mqttUrl,
    dataDir,
    logs,
    setupCode: started.setupCode,
    ca: hub.tls?.caPem ?? null,
    httpUrl: hub.httpUrl,
    async close() {
      await hub.stop('test finished');
      // A stopped hub leaves no process of its own behind (a recorder still writing a segment
      // would make this folder's removal fail, or fill the next test's disk).
      const left = await processesNaming(dataDir);
      if (!opts.keepDataDir && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
      if (left.length > 0) throw new Error(`the hub stopped but left processes running: ${left.join(' | ')}`);
    },
  };
}

/** Live processes whose command line names this folder (pid: command), read from /proc. */
async function processesNaming(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd: string;
    try {
      cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    } catch {
      continue; // Gone while we looked.
    }
    if (cmd.includes(dir)) out.push(`${pid}: ${cmd.slice(0, 200)}`);
  }
  return out;
}
