import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HubPlugin } from '../../../hub/api/plugin.js';
import { ApiClient, OWNER } from '../../helpers/api-client.js';
import type { TestHub } from '../../helpers/hub.js';
import { allAlerts, panicConsentedHome, startAlertHub, until } from './alert-hub.js';

function panicAtStart(): HubPlugin<Record<string, never>> {
  return {
    id: 'early-panic-button',
    configSchema: z.strictObject({}),
    async start(ctx) {
      ctx.bus.emit('panic', { source: 'early-panic-button', origin: 'button', userId: null, loud: false });
      // Hold the start so the alert is raised for certain before the ARC plugin registers.
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
    async stop() {
      // Nothing to release: this plugin holds no timers, sockets or processes.
    },
  };
}

describe('alerts raised while the hub starts', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a panic raised before the ARC plugin registers is delivered once the plugin is up', async () => {
    const { arc, dataDir } = await panicConsentedHome(cleanup);

    const t: TestHub = await startAlertHub({ receiver: arc, dataDir, earlyPlugins: [panicAtStart()] });
    const hub = t;
    cleanup.push(() => hub.close());
    await arc.waitFor((r) => r.alarms().length === 1, 8000);
    expect(arc.alarms().map((f) => f.code)).toEqual(['PA']);
    const owner = new ApiClient(t.url);
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
    const list = await until(
      () => allAlerts(t),
      (l) => l.length === 1 && l[0]?.status === 'acknowledged',
    );
    expect(list[0]?.kind).toBe('panic');
  });
});
