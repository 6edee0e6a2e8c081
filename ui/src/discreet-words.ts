/**
 * Deep discreet mode: while it is on, nothing the app shows says what it is for. Every visible
 * word on every page (the header, the navigation, page text, the hub's own lines such as an
 * alert's summary) passes through one vocabulary, here, so no page can be forgotten: "alarm"
 * reads "watch", "police" "contact", "help" and "panic" "signal", the product's name (told by the
 * hub once signed in: this public bundle never names it) the name the owner picked. It applies to the text on screen only: what the hub stores and sends is untouched.
 * Leaving discreet mode re-renders the app from its own words (see main.tsx).
 */

/** Longest first, so "alarms" is not read as "alarm" + "s". Case follows the original's first letter. */
const WORDS: Array<[RegExp, string]> = [
  [/hold for help/gi, 'hold to send'],
  [/help requests?/gi, 'signal'],
  [/press(ed)? panic/gi, 'send a signal'],
  [/police requests/gi, 'footage requests'],
  [/police request/gi, 'footage request'],
  [/police are/gi, 'contacts are'],
  [/the police/gi, 'your contact'],
  [/alarm receiving centre/gi, 'monitoring service'],
  [/alarm centre/gi, 'monitoring service'],
  [/alarms/gi, 'watches'],
  [/alarm/gi, 'watch'],
  [/police officers/gi, 'contacts'],
  [/police/gi, 'contact'],
  [/helpful/gi, 'useful'],
  [/helps/gi, 'signals'],
  [/help/gi, 'signal'],
  [/panic/gi, 'signal'],
  [/sirens/gi, 'sounds'],
  [/siren/gi, 'sound'],
  [/break-in/gi, 'entry'],
  [/intrusion/gi, 'entry'],
  [/duress/gi, 'second'],
  [/call 999/gi, 'call now'],
  [/\b999\b/g, 'now'],
  [/smartwater/gi, 'marker'],
  [/stalking|abuse/gi, 'concern'],
  // "Your recordings are locked": the pages around it say "clips".
  [/recordings/gi, 'clips'],
];

let appName = 'Notes';
let product: RegExp | null = null;

function keepCase(original: string, word: string): string {
  const first = original.charAt(0);
  return first === first.toUpperCase() && first !== first.toLowerCase() ? word.charAt(0).toUpperCase() + word.slice(1) : word;
}

/** The same text in neutral words. */
export function neutral(text: string): string {
  let out = product ? text.replace(product, appName) : text;
  for (const [re, word] of WORDS) out = out.replace(re, (m) => keepCase(m, word));
  return out;
}

const ATTRS = ['placeholder', 'aria-label', 'title', 'alt', 'aria-description'];

function rewrite(node: Node): void {
  if (node.nodeType === Node.TEXT_NODE) {
    const t = node as Text;
    const n = neutral(t.data);
    if (n !== t.data) t.data = n;
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  const el = node as Element;
  if (el.tagName === 'SCRIPT' || el.tagName === 'STYLE') return;
  for (const a of ATTRS) {
    const v = el.getAttribute(a);
    if (v !== null) {
      const n = neutral(v);
      if (n !== v) el.setAttribute(a, n);
    }
  }
  for (const child of Array.from(el.childNodes)) rewrite(child);
}

let observer: MutationObserver | null = null;

/** Keep every word under `root` neutral from now on (mutation callbacks run before the next paint). */
export function startNeutralWords(root: Element, name: string, productName: string | null): void {
  appName = name;
  product = productName ? new RegExp(productName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi') : null;
  stopNeutralWords();
  rewrite(root);
  observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') rewrite(r.target);
      else if (r.type === 'attributes') rewrite(r.target);
      else for (const n of Array.from(r.addedNodes)) rewrite(n);
    }
  });
  observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS });
}

export function stopNeutralWords(): void {
  observer?.disconnect();
  observer = null;
}
