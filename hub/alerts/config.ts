import { z } from 'zod';

export const alertsConfigSchema = z
  .strictObject({
    /** Two independent detectors within this window confirm an intrusion (BS 8243: 30-60 min). */
    confirmationWindowMinutes: z.number().min(1).max(120).default(30),
    /** A sensor trip followed by a person on camera within this confirms it (video confirmation). */
    videoConfirmationSeconds: z.number().min(5).max(600).default(60),
    /** An `ask` alert the victim has not answered in this time is dropped (consent never assumed). */
    askTimeoutSeconds: z.number().min(10).max(3600).default(300),
  })
  .prefault({});

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
