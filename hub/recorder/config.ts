import { z } from 'zod';

export const recorderConfigSchema = z
  .strictObject({
    segmentSeconds: z.number().int().min(2).max(10).default(4),
    /**
     * An event clip covers at most this much of an event after its first trigger (plus the
     * camera's pre- and post-roll); a longer presence continues in a linked next clip.
     */
    maxEventClipSeconds: z.number().int().min(10).max(600).default(120),
    /** Rolling buffer kept for pre-roll. */
    bufferMinutes: z.number().min(1).max(120).default(10),
    /** Clips not held as evidence are pruned after this many days. */
    retentionDays: z.number().min(1).max(3650).default(30),
    /** Footage may use at most this many bytes (null: no budget beyond the free-space floor). */
    diskBudgetBytes: z.number().int().positive().nullable().default(null),
    /** Keep at least this much free on the disk. */
    minFreeBytes: z
      .number()
      .int()
      .min(0)
      .default(512 * 1024 * 1024),
    /** A camera unreachable for longer than this raises `camera.offline`. */
    offlineAfterSeconds: z.number().min(1).max(3600).default(20),
    rtspTransport: z.enum(['tcp', 'udp']).default('tcp'),
    /**
     * The rolling buffer in RAM (a tmpfs) so only kept footage is written to the SD card. auto:
     * when a tmpfs with enough free memory is there (sized from free memory).
     */
    ramBuffer: z
      .strictObject({
        enabled: z.union([z.literal('auto'), z.boolean()]).default('auto'),
        /** The tmpfs folder; null: the service's RuntimeDirectory, else /dev/shm. */
        dir: z.string().min(1).nullable().default(null),
        /** RAM the buffer may use; null: a quarter of available memory, at most half the tmpfs. */
        maxBytes: z.number().int().positive().nullable().default(null),
      })
      .prefault({}),
    /** How often retention runs (it also runs after each segment when a disk budget is set). */
    retentionIntervalSeconds: z.number().min(1).max(3600).default(60),
    /** Live view size and rate (MPEG-1 accepts only 24, 25 or 30 fps). */
    live: z
      .strictObject({
        width: z.number().int().min(160).max(1920).multipleOf(2).default(640),
        height: z.number().int().min(120).max(1080).multipleOf(2).default(480),
        fps: z.union([z.literal(24), z.literal(25), z.literal(30)]).default(25),
        bitrateKbps: z.number().int().min(100).max(20_000).default(1000),
        /**
         * A viewer whose connection cannot take the stream (bytes waiting in the hub for it) past
         * this is disconnected (close code 4429) rather than buffered without bound; the app reconnects.
         */
        maxViewerBufferBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(64 * 1024 * 1024)
          .default(1024 * 1024),
      })
      .prefault({}),
  })
  .prefault({});

export type RecorderConfig = z.infer<typeof recorderConfigSchema>;
