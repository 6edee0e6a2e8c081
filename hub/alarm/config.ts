import { z } from 'zod';

export const alarmConfigSchema = z
  .strictObject({
    /** Seconds (fractions allowed so tests and walk tests can use short delays). */
    exitDelaySeconds: z.number().min(0).max(600).default(30),
    entryDelaySeconds: z.number().min(0).max(600).default(30),
    /** The siren stops by itself after this (UK noise rules: 20 minutes at most). */
    sirenMaxSeconds: z.number().min(1).max(1200).default(180),
    /** Covert by default: a panic changes nothing visible unless the victim chose a loud one. */
    loudPanic: z.boolean().default(false),
    /** Wrong PINs allowed before the keypad locks for `pinLockoutSeconds`. */
    pinAttempts: z.number().int().min(1).max(20).default(5),
    pinLockoutSeconds: z.number().int().min(10).max(3600).default(120),
    /** A tamper report from a watched sensor while armed triggers the alarm. */
    tamperTriggers: z.boolean().default(true),
    siren: z
      .strictObject({
        /** A Zigbee2MQTT warning device's friendly name, or a plain topic with on/off payloads. */
        zigbee2mqttDevice: z.string().min(1).nullable().default(null),
        topic: z.string().min(1).nullable().default(null),
        onPayload: z.string().default('ON'),
        offPayload: z.string().default('OFF'),
      })
      .prefault({}),
  })
  .prefault({});

export type AlarmConfig = z.infer<typeof alarmConfigSchema>;
