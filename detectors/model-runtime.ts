/**
 * TF.js inside the detector worker: picks a backend and loads the graph model from local files.
 * Only the worker imports this (the wasm backend installs process-wide exception hooks, which must
 * never land on the hub's main thread).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { describeError, HubError } from '../hub/api/errors.js';
import type { RawFrame } from './frame-format.js';
import { letterbox, toFrameBox } from './letterbox.js';
import type { BackendChoice, DetectorInfo, DetectorInit } from './worker-protocol.js';
import type { Detection } from './zones.js';

/** Rows below this score are not even sent back; per-camera minScore filters the rest. */
const REPORT_SCORE = 0.1;
const require = createRequire(import.meta.url);

async function tryBackend(name: Exclude<BackendChoice, 'auto'>): Promise<void> {
  if (name === 'tfjs-node') {
    // Optional dependency with a native binding: a variable specifier keeps it out of type checking.
    const specifier = '@tensorflow/tfjs-node';
    await import(specifier);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node loaded but its backend did not initialise');
    return;
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Local files only: the hub never fetches anything at run time.
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    wasm.setWasmPaths(`${dist}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
    return;
  }
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
}

export async function selectBackend(choice: BackendChoice): Promise<{ backend: string; simd: boolean | null; fallbacks: string[] }> {
  const order: Array<Exclude<BackendChoice, 'auto'>> = choice === 'auto' ? ['tfjs-node', 'wasm', 'cpu'] : [choice];
  const fallbacks: string[] = [];
  for (const name of order) {
    try {
      await tryBackend(name);
      await tf.ready();
      const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : null;
      return { backend: name, simd, fallbacks };
    } catch (err) {
      fallbacks.push(`${name}: ${describeError(err).split('\n')[0]}`);
    }
  }
  throw new HubError('HUB_ERR_DETECTOR', `no TF.js backend could start (${fallbacks.join('; ')})`, { details: { fallbacks } });
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
}

/** An IOHandler reading model.json and its weight shards from disk. */
export function fileModelHandler(modelPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      let json: ModelJson;
      try {
        json = JSON.parse(await readFile(modelPath, 'utf8')) as ModelJson;
      } catch (err) {
        throw new HubError('HUB_ERR_DETECTOR', `cannot read model ${modelPath}: ${describeError(err)}`, { cause: err });
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new HubError('HUB_ERR_DETECTOR', `${modelPath} is not a TF.js graph model (no modelTopology / weightsManifest)`);
      }
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const shards: Buffer[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) shards.push(await readFile(join(dirname(modelPath), p)));
      }
      const all = Buffer.concat(shards);
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: json.modelTopology as object,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
      if (json.format) artifacts.format = json.format;
      if (json.generatedBy) artifacts.generatedBy = json.generatedBy;
      if (json.convertedBy) artifacts.convertedBy = json.convertedBy;
      if (json.signature) artifacts.signature = json.signature as object;
      return artifacts;
    },
  };
}

export interface DetectOutput {
  detections: Detection[];
  inferMs: number;
  prepMs: number;
}

export class ModelRuntime {
  private constructor(
    private readonly model: GraphModel,
    private readonly outputName: string,
    readonly info: DetectorInfo,
  ) {}

  static async load(init: DetectorInit): Promise<ModelRuntime> {
    const started = performance.now();
    const { backend, simd, fallbacks } = await selectBackend(init.backend);
    const model = await loadGraphModel(fileModelHandler(init.modelPath));
    const shape = model.inputs[0]?.shape ?? [];
    // Models with a dynamic input size get 512x512 (CenterNet's native size).
    const h = shape[1] && shape[1] > 0 ? shape[1] : 512;
    const w = shape[2] && shape[2] > 0 ? shape[2] : 512;
    if (!model.outputs.some((o) => o.name === init.outputName)) {
      throw new HubError('HUB_ERR_DETECTOR', `model ${init.modelPath} has no output ${init.outputName}`, {
        details: { outputs: model.outputs.map((o) => o.name) },
      });
    }
    const runtime = new ModelRuntime(model, init.outputName, {
      backend,
      simd,
      model: basename(init.modelPath).replace(/\.json$/, ''),
      modelPath: init.modelPath,
      inputSize: [w, h],
      fallbacks,
      loadMs: 0,
    });
    // One warm-up run so the first real frame is not slowed by kernel set-up.
    await runtime.detect({ width: w, height: h, format: 'gray', data: new Uint8Array(w * h) });
    runtime.info.loadMs = Math.round(performance.now() - started);
    return runtime;
  }

  async detect(frame: RawFrame): Promise<DetectOutput> {
    const [inW, inH] = this.info.inputSize;
    const t0 = performance.now();
    const { input, scale } = letterbox(frame, inW, inH);
    const t1 = performance.now();
    const out = tf.tidy(() => this.model.execute(tf.tensor4d(input, [1, inH, inW, 3]), this.outputName) as tf.Tensor);
    let rows: Float32Array;
    try {
      rows = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    const inferMs = performance.now() - t1;
    const cols = out.shape[2] ?? 0;
    if (cols < 6) throw new HubError('HUB_ERR_DETECTOR', `model output ${this.outputName} has ${cols} columns, expected 6`);
    const detections: Detection[] = [];
    for (let r = 0; r + cols <= rows.length; r += cols) {
      const score = rows[r + 4]!;
      if (!(score >= REPORT_SCORE)) continue;
      const box = toFrameBox(rows[r]!, rows[r + 1]!, rows[r + 2]!, rows[r + 3]!, scale, frame.width, frame.height);
      if (box.x2 <= box.x1 || box.y2 <= box.y1) continue;
      detections.push({ box, score, classId: Math.round(rows[r + 5]!) });
    }
    return { detections, inferMs, prepMs: t1 - t0 };
  }
}
