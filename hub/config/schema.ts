/**
 * The configuration file's schema. Each section's schema lives with its concern and is composed
 * here; the TypeScript types, the validator and the UI forms all come from these schemas.
 * Objects are strict: an unknown key is an error (it is usually a typo of a real one).
 */
import { z } from 'zod';
import { alarmConfigSchema } from '../alarm/config.js';
import { alertsConfigSchema } from '../alerts/config.js';
import { evidenceConfigSchema } from '../evidence/config.js';
import { recorderConfigSchema } from '../recorder/config.js';
import { cameraSeedSchema, sensorSeedSchema } from './devices-schema.js';

export const CONFIG_VERSION = 1;

export const httpConfigSchema = z
  .strictObject({
    /** 0.0.0.0 so phones on the home network reach the hub; tests bind 127.0.0.1. */
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(8080),
    sessionTtlMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(12 * 60),
    /** Set when the hub is served over HTTPS (a reverse proxy) so cookies get `Secure`. */
    secureCookies: z.boolean().default(false),
    /** Failed sign-ins allowed per username and per address in `loginWindowMinutes`. */
    loginAttempts: z.number().int().min(1).max(100).default(5),
    loginWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
  })
  .prefault({});

export const mqttConfigSchema = z
  .strictObject({
    /** An external broker (mqtt://host:1883). When null the hub runs its own embedded broker. */
    url: z.string().url().nullable().default(null),
    username: z.string().nullable().default(null),
    password: z.string().nullable().default(null),
    embedded: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(1883),
      })
      .prefault({}),
    /** Where the hub publishes its own state (retained, Home Assistant style). */
    baseTopic: z.string().min(1).default('sanctuary'),
    zigbee2mqttBaseTopic: z.string().min(1).default('zigbee2mqtt'),
  })
  .prefault({});

export const homeConfigSchema = z
  .strictObject({
    name: z.string().default('Home'),
    /** Sent with an alert only when the victim consented to sharing the location. */
    address: z.string().default(''),
    /** What3words, grid reference or lat,long; shared under the same consent as the address. */
    coordinates: z.string().default(''),
  })
  .prefault({});

export const configSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION),
  /** Where the database, footage and keys live. Default: $SANCTUARY_DATA_DIR or ./data. */
  dataDir: z.string().min(1).optional(),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    })
    .prefault({}),
  http: httpConfigSchema,
  mqtt: mqttConfigSchema,
  home: homeConfigSchema,
  /** Path of ffmpeg; when null the system ffmpeg on PATH, else the one shipped in npm. */
  ffmpeg: z.strictObject({ path: z.string().nullable().default(null) }).prefault({}),
  recorder: recorderConfigSchema,
  alarm: alarmConfigSchema,
  alerts: alertsConfigSchema,
  evidence: evidenceConfigSchema,
  /** Devices to create or update at start (the installer normally adds them from the UI). */
  sensors: z.array(sensorSeedSchema).default([]),
  cameras: z.array(cameraSeedSchema).default([]),
  /** Per-plugin settings, validated by each plugin's own schema. */
  plugins: z.record(z.string(), z.unknown()).default({}),
});

export type HubConfig = z.infer<typeof configSchema>;
export type HubConfigInput = z.input<typeof configSchema>;
