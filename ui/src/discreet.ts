/**
 * Discreet mode: the app calls itself "Notes" with a plain notebook icon (title, favicon, install
 * manifest), so a glance at the phone's tabs or home screen shows nothing about safety. Kept on
 * this device only (localStorage): it is about what this screen shows.
 */
const KEY = 'sanctuary.discreet';

export const BRAND = { name: 'Sanctuary', icon: '/icon.svg', manifest: '/manifest.webmanifest' };
export const NEUTRAL = { name: 'Notes', icon: '/icon-notes.svg', manifest: '/manifest-notes.webmanifest' };

export function isDiscreet(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    // Storage blocked (private mode): discreet is the safer default.
    return true;
  }
}

export function appIdentity(): typeof BRAND {
  return isDiscreet() ? NEUTRAL : BRAND;
}

function setLink(rel: string, href: string): void {
  let link = document.querySelector<HTMLLinkElement>(`link[rel="${rel}"]`);
  if (!link) {
    link = document.createElement('link');
    link.rel = rel;
    document.head.appendChild(link);
  }
  link.href = href;
}

export function applyIdentity(): void {
  const id = appIdentity();
  document.title = id.name;
  setLink('icon', id.icon);
  setLink('manifest', id.manifest);
  const meta = document.querySelector<HTMLMetaElement>('meta[name="application-name"]');
  if (meta) meta.content = id.name;
}

export function setDiscreet(on: boolean): void {
  localStorage.setItem(KEY, on ? '1' : '0');
  applyIdentity();
}
