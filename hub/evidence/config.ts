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
    /**
     * Also put in each police package, per recording, a re-encoded MP4 with the hub time burned
     * in, for viewing in court. Named and listed as a working copy, never as the master.
     */
    workingCopies: z.boolean().default(false),
    /** The TrueType font ffmpeg's drawtext writes the time with (working copies only). */
    workingCopyFont: z.string().min(1).default('/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf'),
  })
  .prefault({});

export type EvidenceConfig = z.infer<typeof evidenceConfigSchema>;
