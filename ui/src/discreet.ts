/**
 * Discreet mode: the app calls itself "Notes" with a plain notebook icon (title, favicon, install
 * manifest), so a glance at the phone's tabs or home screen shows nothing about safety. Kept on
 * this device only (localStorage): it is about what this screen shows.
 */
// A neutral key: this bundle is public, so nothing in it names the product.
const KEY = 'notes.discreet';
const NAME_KEY = 'notes.name';

export const NEUTRAL = { name: 'Notes', icon: '/icon-notes.svg', manifest: '/manifest-notes.webmanifest' };
/**
 * The product's name comes from the hub, and only to a signed-in device: nothing a passer-by on
 * the Wi-Fi can fetch (this bundle, the sign-in page, public routes) names it. Until then, and in
 * discreet mode, the app is "Notes".
 */
let brand: typeof NEUTRAL | null = null;

export function setProductName(name: string | null): void {
  brand = name ? { name, icon: '/icon.svg', manifest: '/manifest.webmanifest' } : null;
  applyIdentity();
}

/** The product's name as the hub told this signed-in device (null before). */
export function productName(): string | null {
  return brand?.name ?? null;
}

export function isDiscreet(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    // Storage blocked (private mode): discreet is the safer default.
    return true;
  }
}

/** The name the owner picked for discreet mode ("Notes" until she picks one). */
export function discreetName(): string {
  try {
    return localStorage.getItem(NAME_KEY)?.trim() || NEUTRAL.name;
  } catch {
    return NEUTRAL.name;
  }
}

export function setDiscreetName(name: string): void {
  localStorage.setItem(NAME_KEY, name.trim().slice(0, 40));
  applyIdentity();
}

export function appIdentity(): typeof NEUTRAL {
  return isDiscreet() || !brand ? { ...NEUTRAL, name: isDiscreet() ? discreetName() : NEUTRAL.name } : brand;
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
  // The header shows the name too: tell it at once, not at the next navigation.
  window.dispatchEvent(new Event(IDENTITY_CHANGED));
}

export const IDENTITY_CHANGED = 'app-identity-changed';

export function setDiscreet(on: boolean): void {
  localStorage.setItem(KEY, on ? '1' : '0');
  applyIdentity();
}
