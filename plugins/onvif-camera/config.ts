import { z } from 'zod';

export const onvifCameraConfigSchema = z
  .strictObject({
    /** Socket timeout for each ONVIF call while connecting. */
    connectTimeoutMs: z.number().int().min(500).max(60_000).default(8000),
    /** Longest wait between reconnect attempts to an ONVIF camera that failed. */
    maxRetryMs: z.number().int().min(500).max(600_000).default(60_000),
    /** How often a linked camera's clock is read again (ONVIF GetSystemDateAndTime). */
    clockCheckSeconds: z.number().int().min(1).max(86_400).default(900),
    /** Subscribe to camera events (doorbell press, motion, tamper) through a PullPoint. */
    events: z.boolean().default(true),
    /** Offer WS-Discovery to the installer. */
    discovery: z.boolean().default(true),
  })
  .prefault({});

export type OnvifCameraConfig = z.infer<typeof onvifCameraConfigSchema>;
