import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HubPlugin, PluginContext } from '../../../hub/api/plugin.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

function recordingPlugin(
  id: string,
  log: string[],
  behaviour: { failStart?: boolean; hangStart?: boolean } = {},
): HubPlugin<{ greeting: string }> {
  let timer: NodeJS.Timeout | null = null;
  return {
    id,
    configSchema: z.strictObject({ greeting: z.string().default('hello') }),
    async start(ctx: PluginContext<{ greeting: string }>) {
      log.push(`start ${id} ${ctx.config.greeting}`);
      if (behaviour.failStart) throw new Error(`${id} could not reach its device`);
      if (behaviour.hangStart) await new Promise((r) => setTimeout(r, 60_000).unref());
      timer = setInterval(() => undefined, 1000);
      await ctx.store.set('started', true);
    },
    async stop() {
      log.push(`stop ${id}`);
      if (timer) clearInterval(timer);
    },
  };
}

describe('plugin host', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('starts plugins in order, stops them in reverse, with validated frozen config', async () => {
    const log: string[] = [];
    t = await startTestHub({
      plugins: [recordingPlugin('a', log), recordingPlugin('b', log)],
      config: { plugins: { b: { greeting: 'hi' } } },
    });
    expect(log).toEqual(['start a hello', 'start b hi']);
    await t.close();
    t = null;
    expect(log).toEqual(['start a hello', 'start b hi', 'stop b', 'stop a']);
  });

  it('a plugin that fails to start is named in the log and health; the hub carries on', async () => {
    const log: string[] = [];
    t = await startTestHub({ plugins: [recordingPlugin('broken', log, { failStart: true }), recordingPlugin('fine', log)] });
    const health = await t.hub.health.snapshot();
    expect(health.components['plugin:broken']?.status).toBe('failed');
    expect(health.components['plugin:broken']?.message).toContain('could not reach its device');
    expect(health.components['plugin:fine']?.status).toBe('ok');
    expect(health.status).toBe('degraded');
    expect(t.logs.find((l) => l.level >= 50 && String(l.msg).includes('broken'))).toBeDefined();
    expect(log).toContain('stop broken');
  });

  it('a plugin that hangs in start times out and is reported', async () => {
    const log: string[] = [];
    t = await startTestHub({ plugins: [recordingPlugin('slow', log, { hangStart: true })], pluginStartTimeoutMs: 300 });
    const h = t.hub.health.get('plugin:slow');
    expect(h?.status).toBe('failed');
    expect(h?.message).toMatch(/did not start in time/);
  });

  it('keeps a status the plugin reported itself while starting (e.g. a model still loading)', async () => {
    const loading: HubPlugin<Record<string, never>> = {
      id: 'slow-loader',
      configSchema: z.strictObject({}),
      async start(ctx) {
        ctx.health.report('starting', 'loading model');
      },
      async stop() {
        // Nothing to release: this plugin holds no timers, sockets or processes.
      },
    };
    t = await startTestHub({ plugins: [loading] });
    expect(t.hub.health.get('plugin:slow-loader')).toMatchObject({ status: 'starting', message: 'loading model' });
  });

  it('a bad plugin config refuses the whole hub before anything starts', async () => {
    const log: string[] = [];
    await expect(startTestHub({ plugins: [recordingPlugin('a', log)], config: { plugins: { a: { greeting: 5 } } } })).rejects.toThrow(
      /plugins\.a\.greeting/,
    );
    expect(log).toEqual([]);
  });
});
