/**
 * Notifications on this device: the service worker (public, names nothing), subscribing with the
 * hub's VAPID key, and telling the hub when this device's discreet mode changes so the words it
 * sends here are neutral. The id of this device's subscription is kept on this device only.
 */
import { get, post, put } from './api.js';

const ID_KEY = 'notes.push-id';

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** iPhone and iPad get Web Push only for an app added to the home screen (iOS 16.4+). */
export function needsHomeScreen(): boolean {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  const standalone = window.matchMedia('(display-mode: standalone)').matches || (navigator as { standalone?: boolean }).standalone === true;
  return ios && !standalone;
}

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(
    () => undefined,
    (err: unknown) => console.warn('service worker not registered', err),
  );
}

function keyBytes(b64url: string): Uint8Array {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function thisDeviceId(): string | null {
  try {
    return localStorage.getItem(ID_KEY);
  } catch {
    return null;
  }
}

/** Ask for permission, subscribe at the browser's push service, and register the device with the hub. */
export async function subscribeThisDevice(discreet: boolean): Promise<string> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted')
    throw new Error('Notifications are blocked for this app: allow them in the phone settings, then try again.');
  const reg = await navigator.serviceWorker.ready;
  const { publicKey } = await get<{ publicKey: string }>('/api/push/key');
  const sub =
    (await reg.pushManager.getSubscription()) ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) as BufferSource }));
  const json = sub.toJSON();
  const r = await post<{ id: string }>('/api/push/subscriptions', {
    endpoint: json.endpoint,
    keys: { p256dh: json.keys?.p256dh, auth: json.keys?.auth },
    discreet,
  });
  localStorage.setItem(ID_KEY, r.id);
  return r.id;
}

/** Discreet mode changed on this device: neutral words in its notifications from now on. */
export function pushDiscreetChanged(discreet: boolean): void {
  const id = thisDeviceId();
  if (!id) return;
  put(`/api/push/subscriptions/${id}`, { discreet }).then(
    () => undefined,
    (err: unknown) => console.warn('could not tell the hub about discreet mode', err),
  );
}

/** Quick exit: ask the service worker to take every notification off the screen. */
export function clearNotifications(): void {
  navigator.serviceWorker?.controller?.postMessage({ type: 'quick-exit' });
}
