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

/** What happens, in the words of the app's own controls (the help button says "Hold for help"). */
const EVENT_WORDS: Record<AlertKind, string> = {
  panic: 'If you hold the help button',
  duress: 'If you turn the alarm off with your second (safety) PIN',
  intrusion:
    'If the alarm is on and a break-in is confirmed (after the first door or window, a second one opens, or the camera sees someone at that door)',
  tamper: 'If a camera stops working, or someone tampers with a camera or a sensor',
  link_loss: "If the hub's mains power goes off or its backup battery runs low",
  open_close: 'When you turn the alarm on or off',
};

/**
 * What the words depend on besides the choices: whether anything can reach the police at all, how
 * the help button is set, how long "ask me first" waits, whether photos and video can go.
 */
export interface ConsentContext {
  /** A police destination (the alarm receiving centre) exists on this hub. */
  policeSetUp: boolean;
  /** It is switched on under "Where your information goes" for the destination it has now. */
  policeOn: boolean;
  /** The help button sounds the siren (a silent one cannot ask on screen). */
  loudPanic: boolean;
  /** How long an "ask me first" question waits before nothing is sent. */
  askSeconds: number;
  /** The home's address is filled in (the installer's setting). */
  addressSet: boolean;
  /** The hub has an address the police can open links at (photo, video). */
  linksPossible: boolean;
  /** How long such a link opens. */
  linkMinutes: number;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} seconds`;
  const m = Math.round(seconds / 60);
  if (m < 120) return m === 1 ? '1 minute' : `${m} minutes`;
  const h = Math.round(m / 60);
  return `${h} hours`;
}

function shared(share: ConsentSettings['share']): string[] {
  const parts: string[] = [];
  if (share.location) parts.push('your address');
  if (share.snapshot) parts.push('a photo from the camera');
  if (share.clipLink) parts.push('a link to the video');
  return parts;
}

function list(parts: string[]): string {
  return parts.length === 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** What goes with it: "with your address", or "with only what happened and when". */
function carrying(share: ConsentSettings['share']): string {
  const parts = shared(share);
  if (parts.length === 0) return 'with only what happened and when: not your address, a photo or the video';
  return `with what happened, when, and ${list(parts)}`;
}

/**
 * One sentence per setting for the UI, checked against what the hub does: "at once" sends only
 * when the alarm receiving centre is switched on; "ask me first" waits `askSeconds` and then sends
 * nothing; a silent help button cannot ask; duress cannot ask at all.
 */
export function describeConsent(
  s: ConsentSettings,
  ctx: ConsentContext,
): { kinds: Record<AlertKind, string>; share: string; reach: string } {
  const kinds = {} as Record<AlertKind, string>;
  const notYet = ctx.policeSetUp
    ? ' But nothing can go yet: first switch on the alarm receiving centre under "Where your information goes" above.'
    : ' But no alarm receiving centre is set up on this hub, so nothing can go: ask your installer.';
  for (const k of ALERT_KINDS) {
    const m = s.kinds[k];
    const what = EVENT_WORDS[k];
    let words: string;
    if (k === 'open_close')
      words =
        m === 'never'
          ? `${what}, the alarm centre is not told. Nothing leaves your home.`
          : `${what}, the hub tells the alarm centre "alarm on" or "alarm off" and the time, nothing else.`;
    else if (m === 'never') words = `${what}, the police are not told. Nothing leaves your home.`;
    else if (m === 'ask' && k === 'panic' && !ctx.loudPanic) {
      // Stored while the help button was loud; the hub cannot ask for a silent one, so nothing goes.
      kinds[k] =
        `${what}, nothing is sent: your help button is silent, so the hub cannot ask you on screen. Choose "Tell the police straight away" or "Don't tell the police".`;
      continue;
    } else if (m === 'ask')
      words = `${what}, the hub asks you on this screen first. If you tap "Send to police", the police are told ${carrying(s.share)}. If you do not answer within ${duration(ctx.askSeconds)}, nothing is sent.`;
    else words = `${what}, the hub tells the police straight away, ${carrying(s.share)}.`;
    if (k === 'panic' && m !== 'never')
      words += ctx.loudPanic ? ' The siren sounds too.' : ' Nothing sounds and nothing shows on this phone.';
    if (k === 'duress' && m === 'automatic') words += ' The screen looks just as it does when you use your usual PIN.';
    if (m !== 'never' && !ctx.policeOn) words += notYet;
    kinds[k] = words;
  }
  const parts = shared(s.share);
  const notes: string[] = [];
  if (s.share.location && !ctx.addressSet) notes.push('Your address is not filled in on the hub yet, so it cannot go: ask your installer.');
  if ((s.share.snapshot || s.share.clipLink) && !ctx.linksPossible)
    notes.push('A photo or video cannot go yet: the police have no way to reach the hub for it (your installer can set this up).');
  else if (s.share.snapshot || s.share.clipLink)
    notes.push(
      `The photo and video open from a link that works for ${duration(ctx.linkMinutes * 60)} and shows only the footage of that alarm. You can stop a link at any time under "Links sent with alerts".`,
    );
  const share =
    parts.length > 0
      ? [`When the police are told, they also get ${list(parts)}.`, ...notes].join(' ')
      : 'When the police are told, they get only what happened, where in the house and when: not your address, a photo or the video.';
  const reach = ctx.policeOn
    ? 'The hub tells the police through the alarm receiving centre your installer set up (switched on under "Where your information goes").'
    : ctx.policeSetUp
      ? 'Nothing reaches the police yet: the alarm receiving centre is switched off under "Where your information goes". Your choices below start to count when you switch it on.'
      : 'No alarm receiving centre is set up on this hub, so the hub cannot tell the police whatever you choose below. In danger, call 999.';
  return { kinds, share, reach };
}
