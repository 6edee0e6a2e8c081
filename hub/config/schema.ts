/**
 * The configuration file's schema. Each section's schema lives with its concern and is composed
 * here; the TypeScript types, the validator and the UI forms all come from these schemas.
 * Objects are strict: an unknown key is an error (it is usually a typo of a real one).
 */
import { z } from 'zod';
import { alarmConfigSchema } from '../alarm/config.js';
import { alertsConfigSchema } from '../alerts/config.js';
import { evidenceConfigSchema } from '../evidence/config.js';
import { pushConfigSchema } from '../push/config.js';
import { recorderConfigSchema } from '../recorder/config.js';
import { cameraSeedSchema, sensorSeedSchema } from './devices-schema.js';

export const CONFIG_VERSION = 1;

/** Addresses that never leave the machine: the only binds where plain HTTP may be allowed. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;

export const tlsConfigSchema = z
  .strictObject({
    /**
     * HTTPS is on unless turned off here. Off is accepted only with a loopback `host` (tests, or a
     * reverse proxy on the same machine that terminates TLS), never on the home network.
     */
    enabled: z.boolean().default(true),
    /** Bring your own certificate: PEM files. When both are null the hub makes its own CA and certificate. */
    certFile: z.string().min(1).nullable().default(null),
    keyFile: z.string().min(1).nullable().default(null),
    /** The CA (PEM) that issued `certFile`, served to phones on the plain-HTTP port; optional. */
    caFile: z.string().min(1).nullable().default(null),
    /** Extra host names or addresses for the hub's own certificate (its host name, .local name and addresses are always in it). */
    names: z.array(z.string().min(1).max(253)).default([]),
  })
  .refine((t) => (t.certFile === null) === (t.keyFile === null), {
    message: 'set both certFile and keyFile, or neither',
    path: ['certFile'],
  })
  .prefault({});

export const httpConfigSchema = z
  .strictObject({
    /** 0.0.0.0 so phones on the home network reach the hub; tests bind 127.0.0.1. */
    host: z.string().min(1).default('0.0.0.0'),
    /** The HTTPS port (app, API, WebSockets). */
    port: z.number().int().min(0).max(65535).default(8443),
    /**
     * Plain HTTP: only redirects to HTTPS and serves the hub's CA certificate and fingerprint
     * (so a phone can fetch it before it trusts the hub). null: no plain-HTTP listener.
     */
    redirectPort: z.number().int().min(0).max(65535).nullable().default(8080),
    tls: tlsConfigSchema,
    sessionTtlMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(12 * 60),
    /** Cookies always get `Secure` over the hub's own HTTPS; set this when a TLS reverse proxy fronts a plain-HTTP hub. */
    secureCookies: z.boolean().default(false),
    /**
     * Failed sign-ins from one address for one account before each further try must wait (the
     * wait doubles with every failure); no one is ever locked out for everyone.
     */
    loginAttempts: z.number().int().min(1).max(100).default(5),
    loginWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    /** Invited installer and police accounts stop working after this many days unless the owner renews them. */
    installerAccountDays: z.number().int().min(1).max(365).default(30),
    policeAccountDays: z.number().int().min(1).max(365).default(90),
    /** Requests per minute from one address across the whole API (a flood guard, not the sign-in throttle). */
    requestsPerMinute: z.number().int().min(10).max(100_000).default(1200),
  })
  .refine((h) => h.tls.enabled || (LOOPBACK_HOSTS as readonly string[]).includes(h.host), {
    message: 'plain HTTP (tls.enabled: false) is only allowed when host is 127.0.0.1, ::1 or localhost',
    path: ['tls', 'enabled'],
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
  /** Notifications on the owner's devices (hub/push). */
  push: pushConfigSchema,
  /** Devices to create or update at start (the installer normally adds them from the UI). */
  sensors: z.array(sensorSeedSchema).default([]),
  cameras: z.array(cameraSeedSchema).default([]),
  /** Per-plugin settings, validated by each plugin's own schema. */
  plugins: z.record(z.string(), z.unknown()).default({}),
});

export type HubConfig = z.infer<typeof configSchema>;
export type HubConfigInput = z.input<typeof configSchema>;
