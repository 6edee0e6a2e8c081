/** Schemas for sensors and cameras: used for config seeds and for the installer's API. */
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lower-case letters, digits, - and _ (at most 64)');

const point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

export const sensorSeedSchema = z.strictObject({
  id,
  name: z.string().min(1).max(100),
  location: z.string().max(100).default(''),
  kind: z.enum(['door', 'window', 'gate', 'motion', 'button', 'other']),
  entryRoute: z.boolean().default(false),
  perimeter: z.boolean().optional(),
  smartwater: z
    .strictObject({
      marked: z.boolean().default(false),
      kitCode: z.string().max(64).nullable().default(null),
    })
    .prefault({}),
  source: z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('zigbee2mqtt'),
      friendlyName: z.string().min(1),
    }),
    z.strictObject({
      type: z.literal('generic'),
      topic: z.string().min(1),
      jsonPath: z.string().nullable().default(null),
      openValues: z.array(z.string()).min(1).default(['open', 'true', '1', 'ON']),
      closedValues: z.array(z.string()).min(1).default(['closed', 'false', '0', 'OFF']),
    }),
  ]),
  checkInSeconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 24 * 3600)
    .default(3600),
  panicActions: z.array(z.string()).default([]),
  /**
   * The cameras that watch this sensor's entry point. Only a person seen in a required zone of one
   * of these cameras video-confirms an intrusion that this sensor started (BS 8243).
   */
  cameras: z.array(id).max(16).default([]),
  enabled: z.boolean().default(true),
});

export const detectSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    fps: z.number().min(0.5).max(30).default(5),
    width: z.number().int().min(64).max(1920).default(640),
    height: z.number().int().min(64).max(1080).default(480),
    minScore: z.number().min(0).max(1).default(0.35),
    threshold: z.number().min(0).max(1).default(0.5),
    minArea: z.number().min(0).max(1).default(0.002),
    maxArea: z.number().min(0).max(1).default(0.9),
    zones: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          points: z.array(point).min(3),
        }),
      )
      .default([]),
    masks: z.array(z.array(point).min(3)).default([]),
    /**
     * Frigate's `required_zones`: when set, a person raises an alert, starts a clip or confirms an
     * intrusion only once the bottom-centre of the box (the feet) is inside one of these zones.
     * Empty: anywhere in the frame counts for alerts and clips, but the camera never video-confirms.
     */
    requiredZones: z.array(z.string().min(1)).default([]),
  })
  .superRefine((d, ctx) => {
    const names = new Set(d.zones.map((z) => z.name));
    d.requiredZones.forEach((name, i) => {
      if (!names.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['requiredZones', i], message: `"${name}" is not one of this camera's zones` });
      }
    });
  })
  .prefault({});

/**
 * A camera's password is stored apart from its settings and never sent back to the browser.
 * Absent (or the old mask `********`): keep the stored one; a string (even empty) replaces it.
 */
const secretFields = {
  password: z.string().max(256).optional(),
  /** The flag GET returns, accepted so a fetched camera can be sent back as it is; ignored. */
  hasPassword: z.boolean().optional(),
};

export const cameraSeedSchema = z.strictObject({
  id,
  name: z.string().min(1).max(100),
  kind: z.enum(['doorbell', 'camera']).default('doorbell'),
  source: z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('onvif'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(80),
      username: z.string().max(128).default(''),
      ...secretFields,
    }),
    z.strictObject({
      type: z.literal('rtsp'),
      /** User info in the URLs (`rtsp://user:pass@host/`) is taken out and kept with the password. */
      mainUrl: z.string().regex(/^rtsps?:\/\//, 'must start with rtsp:// or rtsps://'),
      subUrl: z
        .string()
        .regex(/^rtsps?:\/\//, 'must start with rtsp:// or rtsps://')
        .nullable()
        .default(null),
      snapshotUrl: z.string().url().nullable().default(null),
      /** Absent: the user name in the URL, else the stored one. */
      username: z.string().max(128).optional(),
      ...secretFields,
    }),
  ]),
  detect: detectSettingsSchema,
  record: z
    .strictObject({
      preRollSeconds: z.number().int().min(0).max(120).default(10),
      postRollSeconds: z.number().int().min(0).max(300).default(10),
      continuous: z.boolean().default(false),
      /**
       * The camera's sound is recorded with its video. Set by the installer; sound is recorded only
       * once the owner has also said yes (PUT /api/cameras/:id/sound), because recording what
       * people say beyond the home is a data-protection question for her.
       */
      audio: z.boolean().default(false),
    })
    .prefault({}),
  enabled: z.boolean().default(true),
});

export type SensorSeed = z.infer<typeof sensorSeedSchema>;
export type CameraSeed = z.infer<typeof cameraSeedSchema>;
