import { z } from 'zod';

export const evidenceConfigSchema = z
  .strictObject({
    /** How long a police download link stays valid. */
    downloadTokenMinutes: z
      .number()
      .min(5)
      .max(7 * 24 * 60)
      .default(24 * 60),
    /** Footage this long either side of a SmartWater-spray report is marked as evidence. */
    smartwaterMarginMinutes: z.number().min(1).max(120).default(10),
  })
  .prefault({});

export type EvidenceConfig = z.infer<typeof evidenceConfigSchema>;
