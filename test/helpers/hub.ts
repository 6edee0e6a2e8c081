/**
 * Start a real hub for a test: SQLite in a temp dir, the embedded broker on a free loopback port,
 * HTTP on port 0. `close()` stops everything and removes the temp dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
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
  /** Keep the data dir on close (restart tests reopen it). */
  keepDataDir?: boolean;
}

export async function tempDir(prefix = 'sanctuary-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function testConfig(overrides: Partial<HubConfigInput> = {}): HubConfigInput {
  return {
    version: CONFIG_VERSION,
    ...overrides,
    http: { host: '127.0.0.1', port: 0, ...(overrides.http ?? {}) },
    mqtt: { ...(overrides.mqtt ?? {}), embedded: { host: '127.0.0.1', port: 0, ...(overrides.mqtt?.embedded ?? {}) } },
  };
}

export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const logs = new LogCapture();
  const hubOpts: HubOptions = {
    config: validateConfig(testConfig(opts.config)),
    plugins: opts.plugins ?? [],
    log: logs.logger,
    dataDir,
    uiDir: opts.uiDir ?? null,
  };
  if (opts.modules) hubOpts.modules = opts.modules;
  if (opts.clock) hubOpts.clock = opts.clock;
  if (opts.pluginStartTimeoutMs) hubOpts.pluginStartTimeoutMs = opts.pluginStartTimeoutMs;
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
    async close() {
      await hub.stop('test finished');
      if (!opts.keepDataDir && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
