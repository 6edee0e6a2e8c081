/**
 * Mains and battery trouble reach the ARC as SIA AT/AR and YT/YR: a simulated UPS HAT plugin
 * (hardware is what tests may fake) reports through the hub's PowerMonitor interface.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HubPlugin, PluginContext, PowerState } from '../../../hub/api/index.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import { alerts, setConsent, signIn, startAlertHub, until } from '../../hub/alerts/alert-hub.js';

/** Stands in for a UPS HAT driver: what a real one would read from I2C or a GPIO. */
class SimulatedUps implements HubPlugin<Record<string, never>> {
  readonly id = 'simulated-ups';
  readonly configSchema = z.strictObject({}).prefault({});
  private ctx: PluginContext<Record<string, never>> | null = null;

  async start(ctx: PluginContext<Record<string, never>>): Promise<void> {
    this.ctx = ctx;
    this.set({ mains: 'on', battery: 'ok', detail: 'UPS HAT: 4.10 V, charging' });
  }

  set(state: PowerState): void {
    if (!this.ctx) throw new Error('simulated UPS not started');
    this.ctx.services.power.report('ups-hat', state);
  }

  async stop(): Promise<void> {
    this.ctx = null;
  }
}

describe('power trouble to the ARC', () => {
  const receivers: Dc09TestReceiver[] = [];
  const hubs: TestHub[] = [];

  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const r of receivers.splice(0)) await r.stop();
  });

  it('mains loss, low battery and their restores go as AT, YT, AR, YR when consented', async () => {
    const arc = new Dc09TestReceiver();
    await arc.start();
    receivers.push(arc);
    const ups = new SimulatedUps();
    const t = await startAlertHub({ receiver: arc, extraPlugins: [ups] });
    hubs.push(t);
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { link_loss: 'automatic' } });

    ups.set({ mains: 'off', battery: 'ok', detail: 'UPS HAT: 3.95 V, discharging' });
    await arc.waitFor((r) => r.alarms().length === 1);
    ups.set({ mains: 'off', battery: 'low', detail: 'UPS HAT: 3.40 V' });
    await arc.waitFor((r) => r.alarms().length === 2);
    ups.set({ mains: 'on', battery: 'low', detail: 'UPS HAT: 3.45 V, charging' });
    await arc.waitFor((r) => r.alarms().length === 3);
    ups.set({ mains: 'on', battery: 'ok', detail: 'UPS HAT: 3.90 V, charging' });
    await arc.waitFor((r) => r.alarms().length === 4);
    // The same state again is not news.
    ups.set({ mains: 'on', battery: 'ok', detail: 'UPS HAT: 3.91 V, charging' });

    expect(arc.alarms().map((f) => f.code)).toEqual(['AT', 'YT', 'AR', 'YR']);
    const list = await until(
      () => alerts(owner),
      (l) => l.length === 4 && l.every((a) => a.status === 'acknowledged'),
    );
    expect(list.map((a) => `${a.kind}/${a.phase}`)).toEqual([
      'link_loss/restore',
      'link_loss/restore',
      'link_loss/alarm',
      'link_loss/alarm',
    ]);
  });

  it('without consent for power or link loss nothing about power leaves the hub', async () => {
    const arc = new Dc09TestReceiver();
    await arc.start();
    receivers.push(arc);
    const ups = new SimulatedUps();
    const t = await startAlertHub({ receiver: arc, extraPlugins: [ups] });
    hubs.push(t);
    const owner = await signIn(t);
    ups.set({ mains: 'off', battery: 'ok', detail: 'UPS HAT: 3.95 V, discharging' });
    const [a] = await until(
      () => alerts(owner),
      (l) => l.length === 1,
    );
    expect(a).toMatchObject({ kind: 'link_loss', status: 'refused' });
    expect(arc.frames.filter((f) => f.id !== 'NULL')).toEqual([]);
  });
});
