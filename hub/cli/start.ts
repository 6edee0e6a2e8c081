/** `sanctuary start`: run the hub until SIGTERM or SIGINT, then stop everything within 5 s. */
import { fileURLToPath } from 'node:url';
import { Hub, type HubOptions } from '../app.js';
import type { HubConfig } from '../config/schema.js';
import type { Composition } from './run.js';

export const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

export function printSetupCode(code: string, url: string): void {
  const line = '='.repeat(64);
  process.stdout.write(
    `\n${line}\n  This hub has no owner yet. One-time setup code:\n\n      ${code}\n\n  Open ${url} and enter it to create the first account.\n  (It is shown once; restart the hub to get a new one.)\n${line}\n\n`,
  );
}

export interface RunHubOptions {
  config: Readonly<HubConfig>;
  composition: Composition;
  dataDir?: string | undefined;
  /** The demo makes its own owner account, so the setup code would only confuse. */
  quietSetupCode?: boolean;
  /** Extra work after start (the demo's simulators), undone before the hub stops. */
  afterStart?: (hub: Hub) => Promise<() => Promise<void>>;
}

export async function runHub(opts: RunHubOptions): Promise<number> {
  const hubOpts: HubOptions = { config: opts.config, plugins: opts.composition.plugins(), uiDir: UI_DIR, systemdEnv: process.env };
  if (opts.dataDir) hubOpts.dataDir = opts.dataDir;
  if (!opts.quietSetupCode) hubOpts.onSetupCode = (code, url) => printSetupCode(code, url);
  const hub = new Hub(hubOpts);
  let undoExtra: (() => Promise<void>) | null = null;
  const done = new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      hub.log.info({ signal }, 'stopping');
      const deadline = setTimeout(() => {
        hub.log.error('shutdown took longer than 5 s; exiting anyway');
        resolve(1);
      }, 5000);
      deadline.unref();
      (async () => {
        if (undoExtra) await undoExtra();
        await hub.stop(signal);
      })().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (err: unknown) => {
          hub.log.error({ err: String(err) }, 'error during shutdown');
          clearTimeout(deadline);
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  try {
    await hub.start();
    if (opts.afterStart) undoExtra = await opts.afterStart(hub);
  } catch (err) {
    await hub.stop('start failed');
    throw err;
  }
  return done;
}
