/** The person detector's section of the config file (`plugins.person-detector`). */
import { z } from 'zod';
import { DEFAULT_MODEL, SHIPPED_MODEL_NAMES } from './models.js';

export const detectorConfigSchema = z.strictObject({
  /**
   * `auto` tries tfjs-node (native) first, then onnxruntime-node (the shipped graph converted in
   * memory, on several threads), then TF.js wasm with SIMD, then the plain JS cpu backend.
   */
  backend: z.enum(['auto', 'tfjs-node', 'onnxruntime', 'wasm', 'cpu']).default('auto'),
  /** onnxruntime's threads per inference (null: every core but one, up to three). */
  threads: z.number().int().min(1).max(16).nullable().default(null),
  model: z
    .strictObject({
      /** Which shipped detector (detectors/models.ts; chosen by `npm run bench -- models`). */
      name: z.enum(SHIPPED_MODEL_NAMES).default(DEFAULT_MODEL),
      /**
       * A TF.js graph model.json instead of a shipped one (then `name` is ignored). It must take
       * [1, H, W, 3] pixels 0-255 and output [1, N, 6] rows of x1, y1, x2, y2 (input pixels), score, class.
       */
      path: z.string().min(1).nullable().default(null),
      outputName: z.string().min(1).default('tower_0/detections'),
      /**
       * CenterNet's input side on onnxruntime (a multiple of 32; null: the size measured best,
       * 448, models.ts). TF.js keeps 512: its graph upsamples to fixed sizes, which only the ONNX
       * conversion turns into doublings.
       */
      inputSize: z
        .number()
        .int()
        .min(256)
        .max(1024)
        .refine((n) => n % 32 === 0, 'must be a multiple of 32')
        .nullable()
        .default(null),
      personClass: z.number().int().min(0).default(0),
    })
    .prefault({}),
  motion: z
    .strictObject({
      width: z.number().int().min(32).max(640).default(160),
      pixelThreshold: z.number().min(1).max(255).default(25),
      minBlobArea: z.number().min(0).max(1).default(0.002),
      backgroundAlpha: z.number().gt(0).max(1).default(0.05),
      globalChange: z.number().gt(0).max(1).default(0.6),
      cooldownSeconds: z.number().min(0).max(60).default(2),
      /** A moving body (not wind in leaves): a blob followed over this many frames... */
      bodyFrames: z.number().int().min(1).max(30).default(4),
      /** ...that travelled at least this many of its own heights... */
      bodyTravel: z.number().min(0).max(10).default(0.3),
      /** ...in one direction (net displacement / path length). */
      bodyCoherence: z.number().min(0).max(1).default(0.7),
    })
    .prefault({}),
  tracking: z
    .strictObject({
      iouMatch: z.number().gt(0).max(1).default(0.2),
      /** Without overlap, a detection continues a track within this many box widths of its predicted place. */
      maxShift: z.number().min(0).max(10).default(1.5),
      historySize: z.number().int().min(1).max(50).default(10),
      /** Scores are padded with zeros to this many before the median: 3 means two good hits confirm. */
      minHistory: z.number().int().min(1).max(10).default(3),
      leftAfterSeconds: z.number().min(0.5).max(600).default(5),
      /** While people are tracked but nothing moves, run the detector this often to keep them. */
      recheckSeconds: z.number().min(0.2).max(60).default(1.5),
      /** A missed person's box is carried along their velocity for at most this long. */
      coastSeconds: z.number().min(0).max(10).default(2),
      /** No frame for this long: the camera is offline and its tracks end (`person.left`). */
      offlineAfterSeconds: z.number().min(1).max(600).default(5),
    })
    .prefault({}),
  /**
   * Per camera, the model runs at most this often (0: as often as it can). A person who appears
   * while nobody is tracked is looked at at once; the cap keeps a busy scene from taking every
   * core of a Pi, at the cost of fewer looks while people are already being tracked.
   */
  maxDetectionsPerSecond: z.number().min(0).max(30).default(0),
  /** Region-based detection (regions.ts): the model looks at crops around moving bodies and tracked people. */
  regions: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Smallest region side, as a fraction of the frame's short side. */
      side: z.number().min(0.1).max(1).default(0.5),
      /** More regions than this in one frame: the whole frame instead (1: a crop only ever replaces a whole-frame run, never adds one). */
      maxRegions: z.number().int().min(1).max(8).default(1),
      /** Regions covering more of the frame than this: the whole frame instead. */
      maxCover: z.number().gt(0).max(1).default(0.6),
      /** The whole frame is looked at least this often while the model runs (people who did not move). */
      wholeFrameSeconds: z.number().min(0).max(600).default(4),
    })
    .prefault({}),
  snapshots: z
    .strictObject({
      enabled: z.boolean().default(true),
      quality: z.number().int().min(30).max(100).default(80),
    })
    .prefault({}),
  /** Worker restarts back off from 1 s up to this. */
  maxRestartDelaySeconds: z.number().min(1).max(600).default(30),
});

export type DetectorConfig = z.infer<typeof detectorConfigSchema>;
