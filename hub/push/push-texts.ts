/**
 * What a notification says, per kind, and how the push service should treat it. Payloads pass
 * through the phone maker's push service (encrypted, but they still leave the home), so they carry
 * no image, no address and no clip: a title, a line of text, the page to open and, for "ask me
 * first", a one-time action token. In discreet mode every title and text is neutral: a phone left
 * on the table must not say "alarm" or "police".
 *
 * TTL and urgency are set for each kind (RFC 8030 §5.2, §5.3): the `web-push` default TTL is four
 * weeks, and a doorbell press delivered tomorrow is noise. An "ask me first" question lives as long
 * as the question can still be answered.
 */
export const NOTIFY_KINDS = [
  'doorbell',
  'person',
  'opened_armed',
  'alarm',
  'camera_offline',
  'sensor_offline',
  'tamper',
  'police_request',
  'ask',
] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

export type Urgency = 'very-low' | 'low' | 'normal' | 'high';

export interface NotifySpec {
  ttlSeconds: number;
  urgency: Urgency;
  /** The owner's page the notification opens. */
  url: string;
}

export const SPECS: Readonly<Record<Exclude<NotifyKind, 'ask'>, NotifySpec>> = Object.freeze({
  doorbell: { ttlSeconds: 120, urgency: 'high', url: '/doorbell' },
  person: { ttlSeconds: 120, urgency: 'high', url: '/doorbell' },
  opened_armed: { ttlSeconds: 900, urgency: 'high', url: '/timeline' },
  alarm: { ttlSeconds: 3600, urgency: 'high', url: '/home' },
  camera_offline: { ttlSeconds: 6 * 3600, urgency: 'normal', url: '/timeline' },
  sensor_offline: { ttlSeconds: 6 * 3600, urgency: 'normal', url: '/timeline' },
  tamper: { ttlSeconds: 3600, urgency: 'high', url: '/timeline' },
  police_request: { ttlSeconds: 24 * 3600, urgency: 'normal', url: '/requests' },
});

/** "Ask me first": high urgency; it lives as long as the question can still be answered. */
export function askSpec(askTimeoutSeconds: number): NotifySpec {
  return { ttlSeconds: Math.max(1, Math.round(askTimeoutSeconds)), urgency: 'high', url: '/home' };
}

export interface NotificationAction {
  action: 'send' | 'dismiss';
  title: string;
}

/** The decrypted payload a device receives (the service worker shows it). */
export interface PushPayload {
  v: 1;
  title: string;
  body: string;
  /** Same-origin path to open on a tap. */
  url: string;
  /** Notifications with the same tag replace each other on the device. */
  tag: string;
  icon: string;
  /** Present for "ask me first": the buttons on the lock screen. */
  actions?: NotificationAction[];
  /** One-time token for the actions, bound to this alert and this device. */
  actionToken?: string;
  /** Keep the question on screen until answered. */
  requireInteraction?: boolean;
}

export interface Wording {
  title: string;
  body: string;
}

const NEUTRAL: Wording = { title: 'Notes', body: 'You have a new note.' };
const NEUTRAL_ASK: Wording = { title: 'Notes', body: 'A note is waiting for your answer.' };
const NEUTRAL_ICON = '/icon-notes.svg';
const ICON = '/icon.svg';

/** Build the payload for a device; `discreet` devices get neutral words, icon and buttons. */
export function payloadFor(
  kind: NotifyKind,
  words: Wording,
  spec: NotifySpec,
  discreet: boolean,
  ask?: { alertId: string; token: string },
): PushPayload {
  const shown = discreet ? (kind === 'ask' ? NEUTRAL_ASK : NEUTRAL) : words;
  const p: PushPayload = {
    v: 1,
    title: shown.title,
    body: shown.body,
    url: spec.url,
    tag: discreet ? (ask ? `note-${ask.alertId}` : 'note') : ask ? `ask-${ask.alertId}` : kind,
    icon: discreet ? NEUTRAL_ICON : ICON,
  };
  if (ask) {
    p.actions = discreet
      ? [
          { action: 'send', title: 'Yes' },
          { action: 'dismiss', title: 'Not now' },
        ]
      : [
          { action: 'send', title: 'Send to police' },
          { action: 'dismiss', title: "Don't send" },
        ];
    p.actionToken = ask.token;
    p.requireInteraction = true;
  }
  return p;
}
