/**
 * The `person-detector` plugin: watches the camera list, and for every enabled camera with
 * detection on, feeds the recorder's low-res frames through a CameraPipeline. One detector worker
 * (TF.js) is shared by all cameras and only started when at least one camera needs it.
 */
import { join, resolve } from 'node:path';
import type { CameraDevice } from '../hub/api/devices.js';
import { describeError } from '../hub/api/errors.js';
import type { Disposer } from '../hub/api/events.js';
import type { HubPlugin, PluginContext } from '../hub/api/plugin.js';
import { CameraPipeline, type PipelineStats, type TrackView } from './camera-pipeline.js';
import { type DetectorConfig, detectorConfigSchema } from './config.js';
import { DetectorClient, type DetectorStatus } from './detector-client.js';
import { SHIPPED_MODELS, type ShippedModel, shippedModelInit, shippedModelPath } from './models.js';
import { SnapshotWriter } from './snapshot-writer.js';
import type { DetectorInit } from './worker-protocol.js';

export const PERSON_DETECTOR_ID = 'person-detector';

/** The bundled CenterNet's model.json (tests and benchmarks load it directly). */
export function defaultModelPath(): string {
  return shippedModelPath('centernet-512');
}

interface Running {
  pipeline: CameraPipeline;
  unsubscribe: Disposer;
  settings: string;
}

export class PersonDetectorPlugin implements HubPlugin<DetectorConfig> {
  readonly id = PERSON_DETECTOR_ID;
  readonly configSchema = detectorConfigSchema;
  private ctx: PluginContext<DetectorConfig> | null = null;
  private detector: DetectorClient | null = null;
  private snapshots: SnapshotWriter | null = null;
  private readonly running = new Map<string, Running>();
  private readonly disposers: Disposer[] = [];
  private detectorStatus: DetectorStatus | null = null;
  private whenReady: Promise<unknown> = Promise.resolve();

  async start(ctx: PluginContext<DetectorConfig>): Promise<void> {
    this.ctx = ctx;
    this.snapshots = new SnapshotWriter(join(ctx.dataDir, 'snapshots'), ctx.log.child({ part: 'snapshots' }), ctx.services.footage);
    this.disposers.push(ctx.services.devices.onChange(this.id, () => this.sync()));
    this.sync();
  }

  async stop(): Promise<void> {
    for (const d of this.disposers.splice(0)) d();
    for (const r of this.running.values()) {
      r.unsubscribe();
      r.pipeline.close(false);
    }
    this.running.clear();
    const detector = this.detector;
    this.detector = null;
    await detector?.stop();
    await this.snapshots?.stop();
    this.snapshots = null;
    this.ctx = null;
  }

  /** Resolves when every camera's detector queue is empty (tests and benchmarks wait on this). */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.pipeline.idle()));
  }

  /** Resolves when the model is loaded (or rejects if it cannot load). */
  async ready(): Promise<void> {
    if (this.detector && !this.detector.isReady) await this.whenReady;
  }

  stats(cameraId: string): PipelineStats | undefined {
    return this.running.get(cameraId)?.pipeline.stats;
  }

  /** The reported people on each analysed frame of a camera (camera-pipeline.ts `watchTracks`); null: not detecting there. */
  watchTracks(cameraId: string, fn: (v: TrackView) => void): Disposer | null {
    return this.running.get(cameraId)?.pipeline.watchTracks(fn) ?? null;
  }

  get detectorClient(): DetectorClient | null {
    return this.detector;
  }

  private sync(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const wanted = new Map<string, CameraDevice>();
    for (const c of ctx.services.devices.cameras()) if (c.enabled && c.detect.enabled) wanted.set(c.id, c);
    for (const [id, r] of this.running) {
      if (wanted.has(id)) continue;
      r.unsubscribe();
      r.pipeline.close(true);
      this.running.delete(id);
      ctx.log.info({ camera: id }, 'person detection off for camera');
    }
    if (wanted.size > 0) this.ensureDetector(ctx);
    const detector = this.detector;
    for (const [id, camera] of wanted) {
      const existing = this.running.get(id);
      const settings = JSON.stringify(camera.detect);
      if (existing) {
        if (existing.settings !== settings) {
          existing.pipeline.reconfigure(camera);
          existing.settings = settings;
        }
        continue;
      }
      if (!detector) continue;
      const pipeline = new CameraPipeline(camera, {
        source: this.id,
        bus: ctx.bus,
        log: ctx.log.child({ camera: id }),
        detector,
        snapshots: this.snapshots,
        config: ctx.config,
      });
      const unsubscribe = ctx.services.frames.subscribe(id, this.id, (frame) => pipeline.onFrame(frame));
      this.running.set(id, { pipeline, unsubscribe, settings });
      ctx.log.info({ camera: id }, 'person detection on for camera');
    }
    this.reportHealth();
  }

  private ensureDetector(ctx: PluginContext<DetectorConfig>): void {
    if (this.detector) return;
    const { model } = ctx.config;
    const base: DetectorInit = model.path
      ? { backend: ctx.config.backend, modelPath: resolve(model.path), outputName: model.outputName }
      : shippedModelInit(model.name, ctx.config.backend, model.personClass);
    const init: DetectorInit = { ...base };
    if (ctx.config.threads) init.threads = ctx.config.threads;
    // The input size applies where the graph allows it: a plan whose resizes are doublings. A
    // shipped model runs at its measured size there unless the config names one.
    const shipped: ShippedModel | null = model.path ? null : SHIPPED_MODELS[model.name];
    const size = model.inputSize ?? shipped?.onnxInputSize ?? null;
    if (size && base.onnx?.resizeDoubles) init.onnx = { ...base.onnx, inputSize: size };
    else if (model.inputSize)
      ctx.log.warn({ model: model.name, inputSize: model.inputSize }, 'model.inputSize ignored: this model runs at its own size');
    const modelPath = init.modelPath;
    const detector = new DetectorClient({
      init,
      log: ctx.log.child({ part: 'detector' }),
      maxRestartDelayMs: ctx.config.maxRestartDelaySeconds * 1000,
      onStatus: (s) => {
        this.detectorStatus = s;
        this.reportHealth();
      },
    });
    this.detector = detector;
    if (ctx.config.snapshots.enabled) this.snapshots?.warmUp();
    ctx.health.report('starting', `loading ${modelPath}`);
    this.whenReady = detector.start().catch((err: unknown) => {
      // Health already says failed (onStatus); keep the reason in the log with the model path.
      ctx.log.error({ model: modelPath, err: describeError(err) }, 'person detector unavailable');
      return null;
    });
  }

  private reportHealth(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const cameras = [...this.running.keys()];
    if (!this.detector) {
      ctx.health.report('ok', 'idle: no camera has person detection enabled', { cameras });
      return;
    }
    const s = this.detectorStatus;
    if (!s) return;
    const info = s.info;
    const details: Record<string, unknown> = {
      backend: info?.backend ?? null,
      simd: info?.simd ?? null,
      threads: info?.threads ?? null,
      model: info?.model ?? null,
      modelPath: info?.modelPath ?? null,
      inputSize: info?.inputSize ?? null,
      fallbacks: info?.fallbacks ?? [],
      restarts: s.restarts,
      cameras,
    };
    const suffix = s.status === 'ok' ? ` · ${cameras.length} camera${cameras.length === 1 ? '' : 's'}` : '';
    ctx.health.report(s.status, `${s.message}${suffix}`, details);
  }
}

export function personDetectorPlugin(): PersonDetectorPlugin {
  return new PersonDetectorPlugin();
}
