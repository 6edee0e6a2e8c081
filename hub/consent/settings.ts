/**
 * What the victim has agreed police may be told, and in plain words what that means. Defaults:
 * nothing leaves the home. Duress cannot be `ask`: a prompt on screen would show the abuser
 * standing next to the victim that an alert is being considered.
 */
import { z } from 'zod';
import type { AlertKind } from '../api/events.js';

export const CONSENT_MODES = ['automatic', 'ask', 'never'] as const;
export type ConsentMode = (typeof CONSENT_MODES)[number];
export const ALERT_KINDS: readonly AlertKind[] = ['panic', 'duress', 'intrusion', 'tamper', 'link_loss', 'open_close'];
/**
 * Kinds that are routine reports, not alarms: opening/closing (disarm/arm) reports some ARC
 * contracts ask for. Never "ask" (a prompt at every disarm), off by default, and an alert of such
 * a kind is kept only when some destination takes it.
 */
export const ROUTINE_KINDS: ReadonlySet<AlertKind> = new Set(['open_close']);

export interface Share {
  location: boolean;
  snapshot: boolean;
  clipLink: boolean;
}

/**
 * One destination the owner switched on. Police channels follow `kinds`/`share` above (what the
 * police may be told); every other channel lists its own kinds and attachments. The destination
 * is the one the owner saw when agreeing: a channel whose destination changed is off again.
 */
export interface ChannelConsent {
  destination: string;
  kinds: AlertKind[];
  share: Share;
}

export interface ConsentSettings {
  kinds: Record<AlertKind, ConsentMode>;
  share: Share;
  /** Every outbound destination the owner switched on, by channel id. Absent means off. */
  channels: Record<string, ChannelConsent>;
}

export const DEFAULT_CONSENT: ConsentSettings = Object.freeze({
  kinds: Object.freeze({
    panic: 'never',
    duress: 'never',
    intrusion: 'never',
    tamper: 'never',
    link_loss: 'never',
    open_close: 'never',
  }),
  share: Object.freeze({ location: false, snapshot: false, clipLink: false }),
  channels: Object.freeze({}),
}) as ConsentSettings;

/** Settings stored before per-channel consent existed had no channels: nothing was switched on. */
export function normaliseSettings(s: Partial<ConsentSettings>): ConsentSettings {
  return {
    kinds: { ...DEFAULT_CONSENT.kinds, ...(s.kinds ?? {}) },
    share: { ...DEFAULT_CONSENT.share, ...(s.share ?? {}) },
    channels: { ...(s.channels ?? {}) },
  };
}

const mode = z.enum(CONSENT_MODES);
const shareSchema = z.strictObject({
  location: z.boolean().optional(),
  snapshot: z.boolean().optional(),
  clipLink: z.boolean().optional(),
});
const kindSchema = z.enum(['panic', 'duress', 'intrusion', 'tamper', 'link_loss', 'open_close']);

/** A change: any subset of kinds and share flags; the rest stays as it was. */
export const consentChangeSchema = z
  .strictObject({
    kinds: z
      .strictObject({
        panic: mode.optional(),
        duress: z.enum(['automatic', 'never'], { message: 'duress alerts are silent: choose automatic or never' }).optional(),
        intrusion: mode.optional(),
        tamper: mode.optional(),
        link_loss: mode.optional(),
        open_close: z
          .enum(['automatic', 'never'], { message: 'opening/closing reports are routine: choose automatic or never' })
          .optional(),
      })
      .optional(),
    share: shareSchema.optional(),
    /** Switch destinations on or off: `{ "arc": { "on": true } }`, `{ "webhook": { "on": true, "kinds": ["intrusion"] } }`. */
    channels: z
      .record(
        z.string().regex(/^[a-z0-9-]{2,32}$/, 'a channel id'),
        z.strictObject({
          on: z.boolean(),
          kinds: z.array(kindSchema).max(6).optional(),
          share: shareSchema.optional(),
        }),
      )
      .optional(),
  })
  .refine((c) => c.kinds !== undefined || c.share !== undefined || c.channels !== undefined, {
    message: 'say what to change: kinds, share and/or channels',
  });

export type ConsentChange = z.infer<typeof consentChangeSchema>;

/** A destination the owner can switch on, as the hub knows it now. */
export interface KnownDestination {
  id: string;
  police: boolean;
  destination: string;
}

/**
 * Apply a change. `destinations` are the channels that exist now: a channel is switched on for
 * the destination the owner is looking at, and an unknown id is refused (the caller turns the
 * thrown message into a validation error).
 */
export function applyChange(
  current: ConsentSettings,
  change: ConsentChange,
  destinations: readonly KnownDestination[] = [],
): ConsentSettings {
  const kinds = { ...current.kinds };
  for (const k of ALERT_KINDS) {
    const v = change.kinds?.[k];
    if (v !== undefined) kinds[k] = v;
  }
  const share = { ...current.share };
  for (const k of ['location', 'snapshot', 'clipLink'] as const) {
    const v = change.share?.[k];
    if (v !== undefined) share[k] = v;
  }
  const channels = { ...current.channels };
  for (const [id, c] of Object.entries(change.channels ?? {})) {
    if (!c.on) {
      delete channels[id];
      continue;
    }
    const d = destinations.find((x) => x.id === id);
    if (!d) throw new UnknownChannelError(id);
    const before = channels[id];
    // A police channel hears what `kinds` says police may be told. Other channels never hear of a
    // duress disarm (the policy keeps it off them whatever is stored; storing it would mislead).
    const chosen = d.police ? [...ALERT_KINDS] : (c.kinds ?? before?.kinds ?? []).filter((k) => k !== 'duress');
    channels[id] = {
      destination: d.destination,
      kinds: [...new Set(chosen)],
      share: {
        location: c.share?.location ?? before?.share.location ?? false,
        snapshot: c.share?.snapshot ?? before?.share.snapshot ?? false,
        clipLink: c.share?.clipLink ?? before?.share.clipLink ?? false,
      },
    };
  }
  return { kinds, share, channels };
}

export class UnknownChannelError extends Error {
  constructor(readonly channelId: string) {
    super(`there is no outbound channel "${channelId}" on this hub`);
  }
}

const EVENT_WORDS: Record<AlertKind, string> = {
  panic: 'If you press panic',
  duress: 'If you disarm with your duress PIN',
  intrusion: 'If a break-in is confirmed (two detectors, or a door and a person on camera)',
  tamper: 'If a camera goes offline or a sensor is tampered with',
  link_loss: 'If the hub loses power or its connection',
  open_close: 'When you set or unset the alarm',
};

function attachments(share: ConsentSettings['share']): string {
  const parts: string[] = [];
  if (share.location) parts.push('your address');
  if (share.snapshot) parts.push('a photo from the camera');
  if (share.clipLink) parts.push('a link to the video');
  if (parts.length === 0) return 'but not your address, photos or video';
  if (parts.length === 1) return `and send ${parts[0]}`;
  return `and send ${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** One sentence per setting for the UI, e.g. "If you press panic, we will tell the police at once and send your address." */
export function describeConsent(s: ConsentSettings): { kinds: Record<AlertKind, string>; share: string } {
  const kinds = {} as Record<AlertKind, string>;
  for (const k of ALERT_KINDS) {
    const m = s.kinds[k];
    const what = EVENT_WORDS[k];
    if (k === 'open_close')
      kinds[k] =
        m === 'never'
          ? `${what}, the alarm centre is not told. Nothing leaves your home.`
          : `${what}, we tell the alarm centre "set" or "unset" and the time, nothing else.`;
    else if (m === 'never') kinds[k] = `${what}, we will not tell the police. Nothing leaves your home.`;
    else if (m === 'ask')
      kinds[k] = `${what}, we will ask you first; one tap tells the police ${attachments(s.share)}. If you do not answer, nothing is sent.`;
    else kinds[k] = `${what}, we will tell the police at once ${attachments(s.share)}.`;
  }
  if (s.kinds.duress === 'automatic') kinds.duress += ' Nothing changes on screen.';
  const any = s.share.location || s.share.snapshot || s.share.clipLink;
  const share = any
    ? `When police are told, we ${attachments(s.share).replace(/^and /, '')}.`
    : 'When police are told, they get the alarm type only: not your address, photos or video.';
  return { kinds, share };
}
