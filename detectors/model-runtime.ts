/**
 * TF.js inside the detector worker: picks a backend and loads the graph model from local files.
 * Only the worker imports this (the wasm backend installs process-wide exception hooks, which must
 * never land on the hub's main thread).
 */
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { describeError, HubError } from '../hub/api/errors.js';
import type { BoundingBox } from '../hub/api/events.js';
import type { RawFrame } from './frame-format.js';
import { letterbox, toFrameBox } from './letterbox.js';
import { readGraphModelFiles } from './model-files.js';
import { onnxPlanForPath } from './models.js';
import { defaultThreads, OrtEngine } from './onnx/ort-engine.js';
import type { BackendChoice, DetectorInfo, DetectorInit, ModelDecoder, ModelLayout, OnnxPlan } from './worker-protocol.js';
import type { Detection } from './zones.js';

/** Rows below this score are not even sent back; per-camera minScore filters the rest. */
const REPORT_SCORE = 0.1;
const require = createRequire(import.meta.url);

async function tryBackend(name: TfjsBackend): Promise<void> {
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

type TfjsBackend = Exclude<BackendChoice, 'auto' | 'onnxruntime'>;

/** The order backends are tried in: tfjs-node when its binding loads, onnxruntime, wasm, cpu. */
export function backendOrder(choice: BackendChoice): Array<Exclude<BackendChoice, 'auto'>> {
  return choice === 'auto' ? ['tfjs-node', 'onnxruntime', 'wasm', 'cpu'] : [choice];
}

/** An IOHandler reading model.json and its weight shards from disk. */
export function fileModelHandler(modelPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const files = await readGraphModelFiles(modelPath);
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: files.modelTopology,
        weightSpecs: files.weightSpecs,
        weightData: files.weightData,
      };
      if (files.format) artifacts.format = files.format;
      if (files.generatedBy) artifacts.generatedBy = files.generatedBy;
      if (files.convertedBy) artifacts.convertedBy = files.convertedBy;
      if (files.signature) artifacts.signature = files.signature;
      return artifacts;
    },
  };
}

export interface DetectOutput {
  detections: Detection[];
  inferMs: number;
  prepMs: number;
}

/**
 * A graph whose input is declared at one size but that takes others (MoveNet takes any multiple
 * of 32): the declared height and width are opened up so TF.js accepts the size asked for.
 */
function withInputSize(handler: tf.io.IOHandler, size: number, layout: ModelLayout): tf.io.IOHandler {
  const sides = layout === 'nchw-unit' ? [2, 3] : [1, 2];
  const open = (dims: Array<{ size?: string }>) =>
    dims.length === 4 && sides.some((i) => dims[i]?.size !== String(size))
      ? dims.map((d, i) => (sides.includes(i) ? { size: '-1' } : d))
      : dims;
  return {
    load: async () => {
      const artifacts = await (handler.load as () => Promise<tf.io.ModelArtifacts>)();
      const topology = artifacts.modelTopology as {
        node?: Array<{ op?: string; attr?: { shape?: { shape?: { dim?: Array<{ size?: string }> } } } }>;
      };
      for (const node of topology.node ?? []) {
        const shape = node.op === 'Placeholder' ? node.attr?.shape?.shape : undefined;
        if (shape?.dim) shape.dim = open(shape.dim);
      }
      const signature = artifacts.signature as
        | { inputs?: Record<string, { tensorShape?: { dim?: Array<{ size?: string }> } }> }
        | undefined;
      for (const input of Object.values(signature?.inputs ?? {})) {
        if (input.tensorShape?.dim) input.tensorShape.dim = open(input.tensorShape.dim);
      }
      return artifacts;
    },
  };
}

function sideOf(shape: number[] | undefined, i: number): number | null {
  const v = shape?.[i];
  return v !== undefined && v > 0 ? v : null;
}

type Engine = { kind: 'tfjs'; model: GraphModel } | { kind: 'onnxruntime'; ort: OrtEngine };

export class ModelRuntime {
  private constructor(
    private readonly engine: Engine,
    private readonly init: DetectorInit & { layout: ModelLayout; decoder: ModelDecoder },
    readonly info: DetectorInfo,
  ) {}

  /**
   * Loads the model on the first backend that starts, in backendOrder(). onnxruntime needs an
   * ONNX plan (the shipped models have one); when it is missing or the conversion or session
   * fails, the reason is kept in `fallbacks` and TF.js runs the model.
   */
  static async load(init: DetectorInit): Promise<ModelRuntime> {
    const started = performance.now();
    const layout = init.layout ?? 'nhwc-float';
    const decoder = init.decoder ?? 'rows6';
    const plan: OnnxPlan | undefined = init.onnx ?? (decoder === 'rows6' ? onnxPlanForPath(init.modelPath, init.outputName) : undefined);
    const fallbacks: string[] = [];
    let runtime: ModelRuntime | null = null;
    for (const name of backendOrder(init.backend)) {
      if (name === 'onnxruntime') {
        if (!plan) {
          fallbacks.push('onnxruntime: this model has no ONNX plan (TF.js runs it)');
          continue;
        }
        try {
          runtime = await ModelRuntime.loadOnnx(init, plan, layout, fallbacks);
          break;
        } catch (err) {
          fallbacks.push(`onnxruntime: ${describeError(err).split('\n')[0]}`);
          continue;
        }
      }
      try {
        await tryBackend(name);
        await tf.ready();
      } catch (err) {
        fallbacks.push(`${name}: ${describeError(err).split('\n')[0]}`);
        continue;
      }
      const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : null;
      runtime = await ModelRuntime.loadTfjs(init, name, simd, layout, decoder, fallbacks);
      break;
    }
    if (!runtime) throw new HubError('HUB_ERR_DETECTOR', `no backend could start (${fallbacks.join('; ')})`, { details: { fallbacks } });
    // One warm-up run so the first real frame is not slowed by kernel set-up.
    const [w, h] = runtime.info.inputSize;
    await runtime.detect({ width: w, height: h, format: 'gray', data: new Uint8Array(w * h) });
    runtime.info.loadMs = Math.round(performance.now() - started);
    return runtime;
  }

  private static async loadOnnx(init: DetectorInit, plan: OnnxPlan, layout: ModelLayout, fallbacks: string[]): Promise<ModelRuntime> {
    const files = await readGraphModelFiles(init.modelPath);
    const declared = files.modelTopology.node.find((n) => n.op === 'Placeholder')?.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
    const [hi, wi] = layout === 'nchw-unit' ? [2, 3] : [1, 2];
    // The plan's size first (model.inputSize), then the model's, the graph's, or 512.
    const h = plan.inputSize ?? init.inputSize ?? sideOf(declared, hi) ?? 512;
    const w = plan.inputSize ?? init.inputSize ?? sideOf(declared, wi) ?? 512;
    const inputShape = layout === 'nchw-unit' ? [1, 3, h, w] : [1, h, w, 3];
    const ort = await OrtEngine.load(files, plan, inputShape, init.threads ?? defaultThreads());
    return new ModelRuntime(
      { kind: 'onnxruntime', ort },
      { ...init, layout, decoder: plan.decoder },
      {
        backend: 'onnxruntime',
        simd: null,
        threads: ort.threads,
        model: init.name ?? basename(init.modelPath).replace(/\.json$/, ''),
        modelPath: init.modelPath,
        inputSize: [w, h],
        fallbacks,
        loadMs: 0,
      },
    );
  }

  private static async loadTfjs(
    init: DetectorInit,
    backend: string,
    simd: boolean | null,
    layout: ModelLayout,
    decoder: ModelDecoder,
    fallbacks: string[],
  ): Promise<ModelRuntime> {
    const handler = fileModelHandler(init.modelPath);
    const model = await loadGraphModel(init.inputSize ? withInputSize(handler, init.inputSize, layout) : handler);
    const shape = model.inputs[0]?.shape;
    // Declared size, else the one asked for, else 512 (CenterNet's native size).
    const [hi, wi] = layout === 'nchw-unit' ? [2, 3] : [1, 2];
    const h = init.inputSize ?? sideOf(shape, hi) ?? 512;
    const w = init.inputSize ?? sideOf(shape, wi) ?? 512;
    if (decoder === 'rows6' && !model.outputs.some((o) => o.name === init.outputName)) {
      throw new HubError('HUB_ERR_DETECTOR', `model ${init.modelPath} has no output ${init.outputName}`, {
        details: { outputs: model.outputs.map((o) => o.name) },
      });
    }
    return new ModelRuntime(
      { kind: 'tfjs', model },
      { ...init, layout, decoder },
      {
        backend,
        simd,
        threads: null,
        model: init.name ?? basename(init.modelPath).replace(/\.json$/, ''),
        modelPath: init.modelPath,
        inputSize: [w, h],
        fallbacks,
        loadMs: 0,
      },
    );
  }

  async detect(frame: RawFrame): Promise<DetectOutput> {
    const [inW, inH] = this.info.inputSize;
    const t0 = performance.now();
    const { input, scale } = letterbox(frame, inW, inH);
    const t1 = performance.now();
    const data =
      this.engine.kind === 'onnxruntime'
        ? await this.runOnnx(this.engine.ort, input, inW, inH)
        : await this.runTfjs(this.engine.model, input, inW, inH);
    const inferMs = performance.now() - t1;
    const toFrame = (x1: number, y1: number, x2: number, y2: number) => toFrameBox(x1, y1, x2, y2, scale, frame.width, frame.height);
    const personClass = this.init.personClass ?? 0;
    let detections: Detection[];
    if (this.init.decoder === 'movenet') detections = decodeMoveNet(data, inW, inH, toFrame);
    else if (this.init.decoder === 'nanodet') detections = decodeNanoDet(data, inW, personClass, toFrame);
    else if (this.init.decoder === 'centernet-maps') detections = decodeCenterNetMaps(data, inW, personClass, toFrame);
    else detections = decodeRows6(data[0], this.init.outputName, toFrame);
    return { detections: detections.filter((d) => d.box.x2 > d.box.x1 && d.box.y2 > d.box.y1), inferMs, prepMs: t1 - t0 };
  }

  private async runOnnx(ort: OrtEngine, input: Float32Array, inW: number, inH: number): Promise<Output[]> {
    if (this.init.layout === 'nhwc-int32') return ort.run(Int32Array.from(input), [1, inH, inW, 3]);
    if (this.init.layout === 'nchw-unit') {
      const n = inW * inH;
      const planes = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) planes[c * n + i] = input[i * 3 + c]! / 255;
      return ort.run(planes, [1, 3, inH, inW]);
    }
    return ort.run(input, [1, inH, inW, 3]);
  }

  private async runTfjs(model: GraphModel, input: Float32Array, inW: number, inH: number): Promise<Output[]> {
    const outputs = tf.tidy(() => {
      let x: tf.Tensor4D;
      if (this.init.layout === 'nhwc-int32') x = tf.tensor4d(Int32Array.from(input), [1, inH, inW, 3], 'int32');
      else if (this.init.layout === 'nchw-unit')
        x = tf.transpose(tf.div(tf.tensor4d(input, [1, inH, inW, 3]), 255), [0, 3, 1, 2]) as tf.Tensor4D;
      else x = tf.tensor4d(input, [1, inH, inW, 3]);
      const out = this.init.decoder === 'rows6' ? model.execute(x, this.init.outputName) : model.execute(x);
      return Array.isArray(out) ? out : [out];
    });
    try {
      return await Promise.all(outputs.map(async (o) => ({ shape: o.shape, values: (await o.data()) as Float32Array })));
    } finally {
      tf.dispose(outputs);
    }
  }
}

type ToFrame = (x1: number, y1: number, x2: number, y2: number) => BoundingBox;
interface Output {
  shape: number[];
  values: Float32Array;
}

function decodeRows6(out: Output | undefined, name: string, toFrame: ToFrame): Detection[] {
  const cols = out?.shape[2] ?? 0;
  if (!out || cols < 6) throw new HubError('HUB_ERR_DETECTOR', `model output ${name} has ${cols} columns, expected 6`);
  const rows = out.values;
  const detections: Detection[] = [];
  for (let r = 0; r + cols <= rows.length; r += cols) {
    const score = rows[r + 4]!;
    if (!(score >= REPORT_SCORE)) continue;
    detections.push({ box: toFrame(rows[r]!, rows[r + 1]!, rows[r + 2]!, rows[r + 3]!), score, classId: Math.round(rows[r + 5]!) });
  }
  return detections;
}

/** MoveNet MultiPose: up to 6 people, each 17 keypoints then its box (0-1 of the input) and score. */
function decodeMoveNet(outs: Output[], inW: number, inH: number, toFrame: ToFrame): Detection[] {
  const out = outs[0];
  const cols = out?.shape[2] ?? 0;
  if (!out || cols !== 56) throw new HubError('HUB_ERR_DETECTOR', `MoveNet output has ${cols} columns, expected 56`);
  const v = out.values;
  const detections: Detection[] = [];
  for (let r = 0; r + cols <= v.length; r += cols) {
    const score = v[r + 55]!;
    if (!(score >= REPORT_SCORE)) continue;
    const [ymin, xmin, ymax, xmax] = [v[r + 51]!, v[r + 52]!, v[r + 53]!, v[r + 54]!];
    detections.push({ box: toFrame(xmin * inW, ymin * inH, xmax * inW, ymax * inH), score, classId: 0 });
  }
  return detections;
}

/** Most candidate cells NanoDet may hand to non-maximum suppression. */
const NANODET_CANDIDATES = 300;

/**
 * NanoDet (GFL head): for each stride a [cells, classes] score map (sigmoid applied in the graph)
 * and a [cells, 4 x bins] box distribution: the distance from the cell centre to each side
 * (left, top, right, bottom) is the expectation of the softmax over the bins, in strides.
 */
function decodeNanoDet(outs: Output[], inSize: number, personClass: number, toFrame: ToFrame): Detection[] {
  const byCells = new Map<number, { cls?: Output; reg?: Output }>();
  for (const o of outs) {
    const cells = o.shape[1] ?? 0;
    const entry = byCells.get(cells) ?? {};
    if ((o.shape[2] ?? 0) === 80) entry.cls = o;
    else entry.reg = o;
    byCells.set(cells, entry);
  }
  const candidates: Array<{ box: [number, number, number, number]; score: number }> = [];
  for (const [cells, { cls, reg }] of byCells) {
    if (!cls || !reg) throw new HubError('HUB_ERR_DETECTOR', `NanoDet output for ${cells} cells lacks its scores or boxes`);
    const side = Math.round(Math.sqrt(cells));
    const stride = inSize / side;
    const regCols = reg.shape[2] ?? 0;
    const bins = regCols / 4;
    for (let i = 0; i < cells; i++) {
      const score = cls.values[i * 80 + personClass]!;
      if (!(score >= REPORT_SCORE)) continue;
      const cx = ((i % side) + 0.5) * stride;
      const cy = (Math.floor(i / side) + 0.5) * stride;
      const d = [0, 0, 0, 0];
      for (let k = 0; k < 4; k++) {
        const o = i * regCols + k * bins;
        let max = Number.NEGATIVE_INFINITY;
        for (let b = 0; b < bins; b++) max = Math.max(max, reg.values[o + b]!);
        let sum = 0;
        let expect = 0;
        for (let b = 0; b < bins; b++) {
          const e = Math.exp(reg.values[o + b]! - max);
          sum += e;
          expect += e * b;
        }
        d[k] = (expect / sum) * stride;
      }
      candidates.push({ box: [cx - d[0]!, cy - d[1]!, cx + d[2]!, cy + d[3]!], score });
    }
  }
  candidates.sort((a, b) => b.score - a.score);
  const kept: typeof candidates = [];
  for (const c of candidates.slice(0, NANODET_CANDIDATES)) {
    if (kept.every((k) => boxIou(k.box, c.box) < 0.5)) kept.push(c);
  }
  return kept.map((k) => ({ box: toFrame(...k.box), score: k.score, classId: personClass }));
}

/** Most peaks CenterNet's heatmap gives (its own decoding keeps the top 100). */
const CENTERNET_PEAKS = 100;

/**
 * CenterNet's maps: a heatmap per class at stride 4 (sigmoid applied in the graph) and, per cell,
 * the distances from the cell to the box's left, top, right and bottom in input pixels. An object
 * is a cell whose score no neighbour in its 3x3 beats (the max-pool peak test CenterNet uses
 * instead of suppression).
 */
function decodeCenterNetMaps(outs: Output[], inSize: number, personClass: number, toFrame: ToFrame): Detection[] {
  const [heat, sides] = outs;
  const [, H = 0, W = 0, C = 0] = heat?.shape ?? [];
  if (!heat || !sides || (sides.shape[3] ?? 0) !== 4 || sides.shape[1] !== H || sides.shape[2] !== W || personClass >= C) {
    throw new HubError('HUB_ERR_DETECTOR', `CenterNet maps have shapes ${heat?.shape.join('x')} and ${sides?.shape.join('x')}`);
  }
  const stride = inSize / W;
  const h = heat.values;
  const at = (y: number, x: number) => h[(y * W + x) * C + personClass]!;
  const peaks: Array<{ cell: number; score: number }> = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const score = at(y, x);
      if (!(score >= REPORT_SCORE)) continue;
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && xx >= 0 && yy < H && xx < W && at(yy, xx) > score) {
            peak = false;
            break;
          }
        }
      }
      if (peak) peaks.push({ cell: y * W + x, score });
    }
  }
  peaks.sort((a, b) => b.score - a.score);
  return peaks.slice(0, CENTERNET_PEAKS).map(({ cell, score }) => {
    const cx = (cell % W) * stride;
    const cy = Math.floor(cell / W) * stride;
    const d = sides.values.subarray(cell * 4, cell * 4 + 4);
    return { box: toFrame(cx - d[0]!, cy - d[1]!, cx + d[2]!, cy + d[3]!), score, classId: personClass };
  });
}

function boxIou(a: [number, number, number, number], b: [number, number, number, number]): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}
