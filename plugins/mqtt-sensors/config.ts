import { z } from 'zod';

export const mqttSensorsConfigSchema = z.strictObject({
  /** Zigbee2MQTT's base topic (its `mqtt.base_topic`). */
  baseTopic: z
    .string()
    .min(1)
    .regex(/^[^#+]+$/, 'must not contain MQTT wildcards')
    .default('zigbee2mqtt'),
  /** Sensor payloads are small (Zigbee2MQTT sends well under 1 KB); anything larger is refused unparsed. */
  maxPayloadBytes: z
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .default(16 * 1024),
  /** How often silent sensors are looked for (their own `checkInSeconds` decides when one is offline). */
  offlineCheckMs: z.number().int().min(10).max(60_000).default(5_000),
  /** Battery percentage at or below which a sensor without its own `battery_low` flag counts as low. */
  lowBatteryPercent: z.number().min(0).max(100).default(15),
  /** Bad-input warnings: at most `logBurst` lines per kind of problem every `logWindowMs`, then one summary. */
  logBurst: z.number().int().min(1).max(1000).default(5),
  logWindowMs: z.number().int().min(100).max(3_600_000).default(60_000),
});

export type MqttSensorsConfig = z.infer<typeof mqttSensorsConfigSchema>;
