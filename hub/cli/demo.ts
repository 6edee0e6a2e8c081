/**
 * `sanctuary demo`: a simulated home on this machine. The hub runs for real (database, broker,
 * HTTP) with simulated hardware: a doorbell camera streaming a bundled clip over RTSP, Zigbee2MQTT
 * door and window sensors, a siren, and an alarm receiving centre. A demo owner account with a
 * random password is made so the UI can be opened at once.
 */
import { join } from 'node:path';
import { resolveDataDir } from '../app.js';
import { randomToken } from '../auth/passwords.js';
import { validateConfig } from '../config/load.js';
import { CONFIG_VERSION, type HubConfigInput } from '../config/schema.js';
import { demoParts } from '../sim/demo-parts.js';
import { DemoPrinter } from './demo-printer.js';
import type { Composition } from './run.js';
import { runHub } from './start.js';

/** The sign-in details come again this often (and on Enter or SIGUSR2), so they never scroll away for good. */
const REMIND_MS = 5 * 60_000;

export async function runDemo(opts: { composition: Composition; dataDir?: string | undefined }): Promise<number> {
  const parts = demoParts();
  const raw: HubConfigInput & { plugins: Record<string, unknown> } = {
    version: CONFIG_VERSION,
    // HTTPS like a real install: the demo makes its own CA in its data folder.
    http: {
      host: '127.0.0.1',
      port: Number(process.env.PORT ?? 8443),
      redirectPort: Number(process.env.SANCTUARY_HTTP_PORT ?? 8080),
    },
    mqtt: { embedded: { host: '127.0.0.1', port: Number(process.env.SANCTUARY_MQTT_PORT ?? 1883) } },
    home: { name: 'Demo home', address: '1 Example Street, Exampletown', coordinates: '51.5007,-0.1246' },
    plugins: {},
  };
  for (const p of parts) await p.configure?.(raw);
  const config = validateConfig(raw);
  const dataDir = opts.dataDir ?? join(resolveDataDir(config), 'demo');
  const say = (text: string) => process.stdout.write(`${text}\n`);
  return runHub({
    config,
    composition: opts.composition,
    dataDir,
    quietSetupCode: true,
    afterStart: async (hub) => {
      const accounts = hub.core.accounts;
      const password = randomToken(9);
      let account: string;
      if ((await accounts.mode()) !== 'active') {
        const made = await accounts.createUser({
          username: 'demo-owner',
          password,
          displayName: 'Demo owner',
          role: 'owner',
          createdBy: null,
        });
        account = `demo-owner / ${password}  (random, made for this demo only)`;
        say(`\nDemo owner account: ${account}`);
        // Recordings are encrypted to the owner's key: the recovery code opens them if the password is lost.
        if (made.recoveryCode) say(`Its recovery code (shown once): ${made.recoveryCode}`);
      } else {
        account = 'demo-owner (its password was printed by an earlier run; delete the demo data folder to start over)';
        say('\nDemo owner account exists from an earlier run (its password was printed then; delete the demo data folder to start over).');
      }
      say(`Open ${hub.url} in a browser. Health: ${hub.url}/api/health`);
      if (hub.tls) {
        say(
          `The hub's certificate authority: ${join(dataDir, 'tls', 'ca.crt')}${hub.httpUrl ? ` (also at ${hub.httpUrl}/hub-ca.crt)` : ''}`,
        );
        say(`Its SHA-256 fingerprint: ${hub.tls.fingerprint}\n`);
      } else say('');
      const remind = () =>
        say(
          `\n[demo] Sign in at ${hub.url} as ${account}.${hub.tls ? ` Certificate fingerprint: ${hub.tls.fingerprint}.` : ''} Press Enter (or send SIGUSR2) to see this again.\n`,
        );
      const reminder = setInterval(remind, REMIND_MS);
      process.on('SIGUSR2', remind);
      const onKey = () => remind();
      if (process.stdin.isTTY) process.stdin.on('data', onKey);
      const undo: Array<() => Promise<void>> = [];
      for (const p of parts) {
        undo.push(await p.start({ hub, mqttUrl: hub.core.mqttUrl, log: hub.log.child({ demo: p.name }), dataDir, say }));
        say(`[demo] ${p.name} running`);
      }
      // One short line per kind of event (repeats summed up), the full events in the debug log.
      const printer = new DemoPrinter(say, hub.log.child({ demo: 'events' }));
      const offPrint = hub.bus.onAny('demo-print', (name, event) => printer.handle(name, event));
      return async () => {
        clearInterval(reminder);
        process.off('SIGUSR2', remind);
        if (process.stdin.isTTY) {
          process.stdin.off('data', onKey);
          process.stdin.pause();
        }
        offPrint();
        printer.stop();
        for (const u of undo.reverse()) await u();
      };
    },
  });
}
