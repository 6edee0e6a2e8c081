/**
 * A hub in its own process, for the crash test: started with a data dir and an ARC port, prints
 * one JSON line with its URL and setup code, then runs until killed (SIGKILL: no clean stop).
 */
import { Hub } from '../../../hub/app.js';
import { validateConfig } from '../../../hub/config/load.js';
import { SiaDc09Plugin } from '../../../plugins/sia-dc09/plugin.js';
import { testConfig } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';

const [dataDir, port] = process.argv.slice(2);
const hub = new Hub({
  config: validateConfig(
    testConfig({
      alerts: { retryInitialMs: 100, attemptTimeoutSeconds: 60 },
      plugins: { 'sia-dc09': { enabled: true, port: Number(port), account: '1234', linkTestSeconds: 0, ackTimeoutMs: 60_000 } },
    }),
  ),
  plugins: [new SiaDc09Plugin()],
  log: new LogCapture('warn').logger,
  dataDir: dataDir as string,
  uiDir: null,
});
const started = await hub.start();
process.stdout.write(`${JSON.stringify(started)}\n`);
