/**
 * The onnxruntime path (detectors/onnx): the shipped TF.js graphs converted in memory, what the
 * converter refuses, and what the detector does with a model it cannot convert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectorConfigSchema } from '../../detectors/config.js';
import { DetectorClient } from '../../detectors/detector-client.js';
import { readGraphModelFiles } from '../../detectors/model-files.js';
import { shippedModelInit, shippedModelPath } from '../../detectors/models.js';
import { convertGraphModel, UnsupportedGraphError } from '../../detectors/onnx/tfjs-to-onnx.js';
import { filterPersons } from '../../detectors/zones.js';
import { LogCapture } from '../helpers/log-capture.js';
import { imageFrame } from './fixture-media.js';

describe('the TF.js to ONNX converter', () => {
  it('converts CenterNet cut at its maps, and refuses the graph whose decoding has no translation, naming the operation', async () => {
    const files = await readGraphModelFiles(shippedModelPath('centernet-512'));
    const cut = await convertGraphModel(files, { outputs: ['tower_0/keypoints', 'tower_0/wh'], inputShape: [1, 512, 512, 3] });
    expect(cut.outputNames).toEqual(['tower_0_keypoints', 'tower_0_wh']);
    expect(cut.nodeCount).toBeGreaterThan(100);
    // An ONNX ModelProto: field 1 (ir_version) as a varint first.
    expect(cut.bytes[0]).toBe(0x08);
    // The full graph ends in the model's own top-k decoding.
    const whole = convertGraphModel(files, { outputs: ['tower_0/detections'], inputShape: [1, 512, 512, 3] });
    await expect(whole).rejects.toBeInstanceOf(UnsupportedGraphError);
    await expect(whole).rejects.toThrow(/the operation \w+ \(.+\) has no ONNX translation here/);
  }, 60_000);

  it('names a missing output', async () => {
    const files = await readGraphModelFiles(shippedModelPath('nanodet-416'));
    await expect(convertGraphModel(files, { outputs: ['no/such/node'], inputShape: [1, 3, 416, 416] })).rejects.toThrow(
      /the graph has no node no\/such\/node/,
    );
  });
});

describe('models on onnxruntime and when it cannot run them', () => {
  const logs = new LogCapture();
  const clients: DetectorClient[] = [];
  const start = async (c: DetectorClient) => {
    clients.push(c);
    return c.start();
  };
  afterAll(async () => {
    for (const c of clients) await c.stop();
  });

  let nanoOrt: DetectorClient;
  let nanoWasm: DetectorClient;
  beforeAll(async () => {
    nanoOrt = new DetectorClient({ init: shippedModelInit('nanodet-416', 'onnxruntime'), log: logs.logger });
    nanoWasm = new DetectorClient({ init: shippedModelInit('nanodet-416', 'wasm'), log: logs.logger });
    await start(nanoOrt);
    await start(nanoWasm);
  }, 90_000);

  it('NanoDet finds the same two people in the doorway on onnxruntime as on TF.js', async () => {
    const frame = imageFrame('two-people-grayscale-doorway.png', 'gray');
    const filter = { minScore: 0.3, minArea: 0, maxArea: 1, masks: [] };
    const a = filterPersons((await nanoWasm.detect(frame)).detections, 0, filter).sort((x, y) => x.box.x1 - y.box.x1);
    const b = filterPersons((await nanoOrt.detect(frame)).detections, 0, filter).sort((x, y) => x.box.x1 - y.box.x1);
    expect(nanoOrt.info?.backend).toBe('onnxruntime');
    expect(nanoWasm.info?.backend).toBe('wasm');
    expect(b.length).toBeGreaterThanOrEqual(2);
    expect(b.map((d) => d.score.toFixed(2))).toEqual(a.map((d) => d.score.toFixed(2)));
    for (const [i, d] of b.entries()) expect(Math.abs(d.box.x1 - a[i]!.box.x1)).toBeLessThan(0.002);
  });

  it('CenterNet runs at another multiple of 32 on onnxruntime (its upsamples become doublings), and the config refuses others', async () => {
    const base = shippedModelInit('centernet-512', 'onnxruntime');
    const c = new DetectorClient({ init: { ...base, onnx: { ...base.onnx!, inputSize: 448 } }, log: logs.logger });
    const info = await start(c);
    expect(info.inputSize).toEqual([448, 448]);
    const found = filterPersons((await c.detect(imageFrame('person-astronaut.png'))).detections, 0, {
      minScore: 0.4,
      minArea: 0,
      maxArea: 1,
      masks: [],
    });
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found[0]!.box.x1).toBeLessThan(0.1);
    const bad = detectorConfigSchema.safeParse({ model: { inputSize: 450 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('must be a multiple of 32');
    expect(bad.error?.issues[0]?.path).toEqual(['model', 'inputSize']);
  }, 60_000);

  it('a model with no ONNX plan (MoveNet) runs on TF.js under auto, and says why', async () => {
    const c = new DetectorClient({ init: shippedModelInit('movenet-multipose-256', 'auto'), log: logs.logger });
    const info = await start(c);
    expect(info.backend).toBe('wasm');
    expect(info.fallbacks.join('; ')).toMatch(/onnxruntime: this model has no ONNX plan/);
    expect((await c.detect(imageFrame('person-astronaut.png'))).detections.length).toBeGreaterThan(0);
  }, 60_000);

  it('asked for onnxruntime alone, a model it cannot run fails to start with the reason, and raises nothing', async () => {
    const statuses: string[] = [];
    const c = new DetectorClient({
      init: shippedModelInit('movenet-multipose-256', 'onnxruntime'),
      log: logs.logger,
      onStatus: (s) => statuses.push(`${s.status}: ${s.message}`),
    });
    await expect(start(c)).rejects.toThrow(/no backend could start \(onnxruntime: this model has no ONNX plan/);
    expect(statuses.at(-1)).toMatch(/^failed: cannot start: /);
    expect(c.isReady).toBe(false);
  }, 60_000);
});
