/**
 * The detector on onnxruntime-node: the shipped TF.js graph converted in memory (tfjs-to-onnx.ts)
 * and run by ONNX Runtime's CPU provider on several threads. onnxruntime-node is an optional
 * dependency: its prebuilt binaries for Linux x64 and arm64 are inside the npm package (the
 * postinstall that would fetch GPU providers is skipped by .npmrc). When it is not installed, or
 * its binding does not load (32-bit ARM has none), the detector uses TF.js on wasm instead.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { HubError } from '../../hub/api/errors.js';
import type { GraphModelFiles } from '../model-files.js';
import type { OnnxPlan } from '../worker-protocol.js';
import { convertGraphModel } from './tfjs-to-onnx.js';

type Ort = typeof import('onnxruntime-node');

export interface EngineOutput {
  shape: number[];
  values: Float32Array;
}

/**
 * Threads for one inference: every core but one, up to three (a Pi 4: three; this 2-core machine:
 * one). The core left over is the cameras' ffmpeg and the hub's: measured in the live-feed bench
 * on 2 cores, a second inference thread took 39 % of a core instead of 28 % for the same model
 * time (57-58 ms p50), since the hub's own work was already on it.
 */
export function defaultThreads(): number {
  return Math.max(1, Math.min(3, availableParallelism() - 1));
}

async function loadOrt(): Promise<Ort> {
  // Optional dependency: a variable specifier keeps a missing package from failing the type check or the import graph.
  const specifier = 'onnxruntime-node';
  const mod = (await import(specifier)) as Ort & { default?: Ort };
  return mod.InferenceSession ? mod : (mod.default as Ort);
}

export class OrtEngine {
  private constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    private readonly inputName: string,
    private readonly outputNames: string[],
    readonly threads: number,
    readonly nodeCount: number,
  ) {}

  static async load(files: GraphModelFiles, plan: OnnxPlan, inputShape: number[], threads: number): Promise<OrtEngine> {
    const ort = await loadOrt();
    const converted = await convertGraphModel(files, {
      outputs: plan.outputs,
      inputShape,
      resizeDoubles: plan.resizeDoubles === true,
    });
    const session = await ort.InferenceSession.create(converted.bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Threads sleep between frames instead of spinning: frames come a few times a second, and a
      // spinning pool would take the cores the cameras' ffmpeg and the hub need.
      extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
    });
    return new OrtEngine(ort, session, converted.inputName, converted.outputNames, threads, converted.nodeCount);
  }

  async run(input: Float32Array | Int32Array, dims: number[]): Promise<EngineOutput[]> {
    const x: Tensor = input instanceof Int32Array ? new this.ort.Tensor('int32', input, dims) : new this.ort.Tensor('float32', input, dims);
    const out = await this.session.run({ [this.inputName]: x });
    return this.outputNames.map((name) => {
      const t = out[name];
      if (!t) throw new HubError('HUB_ERR_DETECTOR', `the model gave no output ${name}`);
      return { shape: [...t.dims], values: t.data as Float32Array };
    });
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
