/**
 * Demo part: a simulated alarm receiving centre on loopback, with the sia-dc09 plugin pointed at
 * it. Consent stays "never" for everything except panic, which this demo sets to automatic for
 * the demo owner (and says so loudly) so pressing panic in the UI shows a real DC-09 exchange.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../api/errors.js';
import type { ConsentModule } from '../consent/consent-module.js';
import { ArcReceiverSim } from './arc-receiver.js';
import type { DemoPart } from './demo-parts.js';

let sim: ArcReceiverSim | null = null;
let lines: string[] = [];
/** The simulated UPS: a state file the person watching the demo rewrites to play a power cut. */
const POWER_FILE = join(tmpdir(), `sanctuary-demo-power-${process.pid}`);

export const arcDemoPart: DemoPart = {
  name: 'alarm receiving centre (SIA DC-09 on loopback)',
  async configure(config) {
    // Started before the hub so the plugin config can name its port.
    sim = new ArcReceiverSim((line) => lines.push(line));
    const port = await sim.start(Number(process.env.SANCTUARY_ARC_PORT ?? 0));
    config.plugins['sia-dc09'] = {
      enabled: true,
      host: '127.0.0.1',
      port,
      account: 'DE40',
      line: '1',
      linkTestSeconds: 30,
      openCloseReports: true,
    };
    await writeFile(POWER_FILE, 'mains=on\nbattery=ok\ndetail=demo UPS\n');
    config.plugins['power-sense'] = { enabled: true, pollSeconds: 1, confirmReads: 1, sources: [{ type: 'file', path: POWER_FILE }] };
  },
  async start(ctx) {
    const arc = sim;
    if (!arc) throw new Error('ARC demo part was not configured');
    // Lines printed before the demo was ready (the first link test) are shown now, then live.
    const early = lines;
    lines = [];
    for (const l of early) ctx.say(l);
    arc.output = (l: string) => ctx.say(l);
    ctx.say(`[arc] simulated alarm receiving centre listening on 127.0.0.1:${arc.port} (account DE40)`);
    const consent = ctx.hub.core.module<ConsentModule>('consent');
    const owner = (await ctx.hub.core.accounts.users()).find((u) => u.role === 'owner');
    if (consent && owner) {
      const current = await consent.decision('panic');
      if (current.version === 0) {
        try {
          // The simulated ARC is switched on as a destination too: police consent alone sends nothing.
          await consent.change({ kinds: { panic: 'automatic' }, channels: { arc: { on: true } } }, owner.id, 'demo');
          ctx.say('[demo] DEMO CONSENT: panic alerts go to the simulated ARC automatically (set by the demo, not by a victim).');
          ctx.say('[demo] Everything else stays "never". Change it on the page "What police are told".');
        } catch (err) {
          ctx.log.error({ err: describeError(err) }, 'could not set the demo consent');
        }
      }
    }
    ctx.say(
      `[demo] simulated UPS: \`echo mains=off > ${POWER_FILE}\` plays a power cut (AT to the ARC once "power or link loss" is allowed).`,
    );
    return async () => {
      await arc.stop();
      sim = null;
      await rm(POWER_FILE, { force: true });
    };
  },
};
