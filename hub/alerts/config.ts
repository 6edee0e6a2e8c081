import { z } from 'zod';

export const alertsConfigSchema = z
  .strictObject({
    /** Two independent detectors within this window confirm an intrusion (BS 8243: 30-60 min). */
    confirmationWindowMinutes: z.number().min(1).max(120).default(30),
    /** A sensor trip followed by a person on camera within this confirms it (video confirmation). */
    videoConfirmationSeconds: z.number().min(1).max(600).default(60),
    /** An `ask` alert the victim has not answered in this time is dropped (consent never assumed). */
    askTimeoutSeconds: z.number().min(1).max(3600).default(300),
    /** First resend delay after a failed delivery; doubles each time up to `retryMaxSeconds`. */
    retryInitialMs: z.number().int().min(50).max(60_000).default(1_000),
    retryMaxSeconds: z.number().min(1).max(3600).default(60),
    /** One delivery attempt is abandoned (and retried) after this long. */
    attemptTimeoutSeconds: z.number().min(1).max(300).default(30),
    /**
     * The address police can reach the hub's verification links at (the hub's HTTPS address, or
     * a reverse proxy in front of it). Without it no snapshot or clip link can be attached,
     * whatever the consent says.
     */
    publicBaseUrl: z
      .string()
      .url()
      // The link itself opens the footage: over plain HTTP anyone on the path could copy it.
      .refine((u) => u.startsWith('https://'), 'must be an https:// address (verification links carry their token in the URL)')
      .nullable()
      .default(null),
    /**
     * How long a verification link sent to the ARC with a consented alert opens its snapshot or
     * clip (the operator verifies within minutes; the owner can withdraw it sooner).
     */
    verificationLinkMinutes: z
      .number()
      .min(1)
      .max(7 * 24 * 60)
      .default(120),
    /** Health components whose failure is a "hub power or link loss" alert. */
    linkLossComponents: z.array(z.string().min(1)).default(['power']),
  })
  .prefault({});

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
