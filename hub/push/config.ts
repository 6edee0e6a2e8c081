import { z } from 'zod';

export const pushConfigSchema = z
  .strictObject({
    /**
     * Offer notifications to the owner's devices (Web Push). Nothing is sent until the owner
     * switches notifications on ("Where your information goes") and a device subscribes.
     */
    enabled: z.boolean().default(true),
    /**
     * The VAPID contact (RFC 8292 `sub`) the push services see: a mailto: or https: address.
     * It names no person or product by default; Apple's service wants a real-looking address.
     */
    subject: z
      .string()
      .regex(/^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/, 'a mailto: or https: address')
      .default('mailto:notifications@hub.invalid'),
    /** A person seen again at the same camera within this long is the same visit: no second notification. */
    personCooldownSeconds: z.number().int().min(0).max(3600).default(120),
    /** One send to a push service is abandoned (and retried) after this long. */
    attemptTimeoutSeconds: z.number().min(1).max(120).default(10),
  })
  .prefault({});

export type PushConfig = z.infer<typeof pushConfigSchema>;
