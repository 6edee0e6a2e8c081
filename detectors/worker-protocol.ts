/** Messages between the hub and the detector / snapshot worker threads (structured-clone safe). */
import type { BoundingBox } from '../hub/api/events.js';
import type { RawFrame } from './frame-format.js';
import type { Detection } from './zones.js';

export type BackendChoice = 'auto' | 'tfjs-node' | 'wasm' | 'cpu';

export interface DetectorInit {
  backend: BackendChoice;
  modelPath: string;
  outputName: string;
}

export interface DetectorInfo {
  backend: string;
  simd: boolean | null;
  model: string;
  modelPath: string;
  inputSize: [number, number];
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
