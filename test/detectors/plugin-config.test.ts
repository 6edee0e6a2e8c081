/** The plugin's configuration and camera handling, without running the model. */
import { afterEach, describe, expect, it } from 'vitest';
import { personDetectorPlugin } from '../../detectors/plugin.js';
import { ConfigError } from '../../hub/api/errors.js';
import type { EventName } from '../../hub/api/events.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { imageFrame } from './fixture-media.js';

const camera = (id: string, enabled: boolean) => ({
  id,
  name: id,
  source: { type: 'rtsp' as const, mainUrl: `rtsp://127.0.0.1:8554/${id}` },
  detect: { enabled },
});

describe('person-detector plugin configuration', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('stays idle (no worker) until a camera turns detection on, and follows camera changes', async () => {
    const plugin = personDetectorPlugin();
    t = await startTestHub({
      plugins: [plugin],
      modules: [],
      config: { cameras: [camera('door', false)], plugins: { 'person-detector': { model: { path: '/nonexistent/model.json' } } } },
    });
    expect(plugin.detectorClient).toBeNull();
    expect(t.hub.health.get('plugin:person-detector')).toMatchObject({
      status: 'ok',
      message: 'idle: no camera has person detection enabled',
    });
    expect(t.hub.core.frameHub.hasSubscribers('door')).toBe(false);

    await t.hub.core.devices.upsertCamera(camera('door', true));
    expect(plugin.detectorClient).not.toBeNull();
    expect(t.hub.core.frameHub.hasSubscribers('door')).toBe(true);

    await t.hub.core.devices.upsertCamera(camera('door', false));
    expect(t.hub.core.frameHub.hasSubscribers('door')).toBe(false);
  });

  it('reports a model that cannot load as failed, naming the path, and raises nothing', async () => {
    const plugin = personDetectorPlugin();
    t = await startTestHub({
      plugins: [plugin],
      modules: [],
      config: { cameras: [camera('door', true)], plugins: { 'person-detector': { model: { path: '/nonexistent/model.json' } } } },
    });
    const seen: EventName[] = [];
    t.hub.bus.onAny('test', (name) => {
      seen.push(name);
    });
    await plugin.ready();
    const h = t.hub.health.get('plugin:person-detector');
    expect(h?.status).toBe('failed');
    expect(h?.message).toMatch(/cannot read model \/nonexistent\/model\.json/);
    expect(t.logs.find((l) => l.msg === 'person detector unavailable')).toBeDefined();
    // Frames keep arriving; without a model they are skipped, never an error storm or an event.
    const still = imageFrame('no-person-building.jpg', 'rgb24', 'door');
    for (let i = 0; i < 3; i++) t.hub.core.frameHub.publish({ ...still, ts: i * 200 });
    t.hub.core.frameHub.publish({ ...still, ts: 600, data: still.data.subarray(0, 10) });
    await plugin.settled();
    expect(plugin.stats('door')).toMatchObject({ frames: 4, badFrames: 1, detectRuns: 0 });
    expect(seen.filter((n) => n.startsWith('person.'))).toEqual([]);
  });

  it('runs the shipped CenterNet at its measured size on onnxruntime (448), at the size the config names, and at 512 on TF.js', async () => {
    const sizes: Array<[object, number]> = [
      [{ backend: 'onnxruntime' }, 448],
      [{ backend: 'onnxruntime', model: { inputSize: 512 } }, 512],
      [{ backend: 'wasm', snapshots: { enabled: false } }, 512],
    ];
    for (const [settings, side] of sizes) {
      const plugin = personDetectorPlugin();
      t = await startTestHub({
        plugins: [plugin],
        modules: [],
        config: { cameras: [camera('door', true)], plugins: { 'person-detector': settings } },
      });
      await plugin.ready();
      expect(plugin.detectorClient?.info?.inputSize, JSON.stringify(settings)).toEqual([side, side]);
      expect(t.hub.health.get('plugin:person-detector')?.message).toContain(`centernet-512 ${side}x${side}`);
      await t.close();
      t = null;
    }
  }, 90_000);

  it('rejects an invalid plugin config naming the field', async () => {
    const err = await startTestHub({
      plugins: [personDetectorPlugin()],
      modules: [],
      config: { plugins: { 'person-detector': { backend: 'gpu' } } },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('plugins.person-detector.backend');
  });
});
