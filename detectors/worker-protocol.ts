/** Messages between the hub and the detector / snapshot worker threads (structured-clone safe). */
import type { BoundingBox } from '../hub/api/events.js';
import type { RawFrame } from './frame-format.js';
import type { Detection } from './zones.js';

export type BackendChoice = 'auto' | 'tfjs-node' | 'onnxruntime' | 'wasm' | 'cpu';

/** How a frame becomes the model's input tensor. */
export type ModelLayout =
  /** [1, H, W, 3] float32, pixel values 0-255 (CenterNet, and a replacement model). */
  | 'nhwc-float'
  /** [1, H, W, 3] int32, 0-255 (MoveNet). */
  | 'nhwc-int32'
  /** [1, 3, H, W] float32, 0-1 (NanoDet). */
  | 'nchw-unit';

/** How the model's output becomes boxes. */
export type ModelDecoder =
  /** One output [1, N, 6]: x1, y1, x2, y2 (input pixels), score, class. */
  | 'rows6'
  /** [1, 6, 56]: 17 keypoints (y, x, score), then ymin, xmin, ymax, xmax (0-1), score: people only. */
  | 'movenet'
  /** Per stride a class-score map [1, cells, 80] and a box distribution [1, cells, 4 x bins]. */
  | 'nanodet'
  /** CenterNet cut before its own decoding: a class heatmap [1, H/4, W/4, 80] and side distances [1, H/4, W/4, 4]. */
  | 'centernet-maps';

/** How a TF.js graph runs on onnxruntime-node (detectors/onnx): where it is cut and how that is read. */
export interface OnnxPlan {
  /** The graph's outputs to keep (TF node names). */
  outputs: string[];
  decoder: ModelDecoder;
  /** Each of the graph's bilinear resizes doubles (so any multiple of its stride is a valid input). */
  resizeDoubles?: boolean;
  /** The square input it runs at on onnxruntime, when not the graph's own (`model.inputSize`). */
  inputSize?: number;
}

export interface DetectorInit {
  backend: BackendChoice;
  modelPath: string;
  /** The output to read (rows6); others read every output. */
  outputName: string;
  /** The shipped model's name (models.ts), or absent for a replacement model. */
  name?: string;
  /** Square input size; absent: the model's own, or 512 when it accepts any. */
  inputSize?: number;
  layout?: ModelLayout;
  decoder?: ModelDecoder;
  /** The class decoders that see every class report (NanoDet decodes only this one). */
  personClass?: number;
  /** How to run it on onnxruntime-node; absent: TF.js only. */
  onnx?: OnnxPlan;
  /** Threads for onnxruntime (default: every core but one, up to three). */
  threads?: number;
}

export interface DetectorInfo {
  backend: string;
  simd: boolean | null;
  model: string;
  modelPath: string;
  inputSize: [number, number];
  /** onnxruntime's threads per inference (null on TF.js). */
  threads: number | null;
  /** Why a preferred backend was skipped (e.g. tfjs-node's native binding did not load). */
  fallbacks: string[];
  loadMs: number;
}

export type ToDetector = { type: 'init'; init: DetectorInit } | { type: 'detect'; id: number; frame: RawFrame };

export type FromDetector =
  | { type: 'ready'; info: DetectorInfo }
  | { type: 'init_failed'; message: string }
  | { type: 'result'; id: number; detections: Detection[]; inferMs: number; prepMs: number }
  | { type: 'error'; id: number; code: string; message: string; details?: Record<string, unknown> };

export type ToSnapshot = { type: 'encode'; id: number; frame: RawFrame; boxes: BoundingBox[]; quality: number };
export type FromSnapshot =
  | { type: 'encoded'; id: number; original: Uint8Array; annotated: Uint8Array | null }
  | { type: 'error'; id: number; code: string; message: string };
