/**
 * Whether the hub can open this account's footage right now. Footage is sealed to the account's
 * key, which the hub holds in memory only from sign-in (or an unlock) until sign-out, session end
 * or a restart: after a restart the session can still be valid while the key is gone. The hub then
 * says so (`footageUnlocked: false` in the session, 423 `HUB_ERR_LOCKED` from a footage route), and
 * only footage waits for the password: the alarm, help and sensors never do.
 *
 * One small store: screens read it (`useFootageLock`), api.ts and the media elements tell it.
 * Each unlock counts up `generation`, so a player or a still that failed asks for its file again.
 */
import { useEffect, useState } from 'preact/hooks';

export interface FootageLock {
  locked: boolean;
  /** Counts unlocks: a key for media elements, so they load afresh once footage opens. */
  generation: number;
}

let state: FootageLock = { locked: false, generation: 0 };
const listeners = new Set<(s: FootageLock) => void>();

export function footageLock(): FootageLock {
  return state;
}

export function setFootageLocked(locked: boolean): void {
  if (locked === state.locked) return;
  state = { locked, generation: locked ? state.generation : state.generation + 1 };
  for (const l of listeners) l(state);
}

export function onFootageLock(fn: (s: FootageLock) => void): () => void {
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
  };
}

export function useFootageLock(): FootageLock {
  const [s, setS] = useState(state);
  useEffect(() => {
    setS(state);
    return onFootageLock(setS);
  }, []);
  return s;
}

/** The id of the unlock card's password field: a locked still or link sends the thumb there. */
export const UNLOCK_FIELD_ID = 'unlock-password';

/** Bring the unlock card into view and put the cursor in its password field. */
export function focusUnlock(): void {
  const field = document.getElementById(UNLOCK_FIELD_ID);
  if (!field) return;
  field.scrollIntoView({ block: 'center' });
  field.focus();
}

/**
 * A `<video>` or `<img>` cannot read the hub's answer, only that loading failed. Ask once more
 * with fetch, for one byte, to learn whether it was because footage is locked.
 */
export async function checkMedia(url: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { range: 'bytes=0-0' }, credentials: 'same-origin' });
  } catch (err) {
    console.warn('could not ask the hub why a clip did not load', url, err);
    return;
  }
  if (res.status === 423) {
    try {
      const body = (await res.json()) as { error?: { code?: string } };
      if (body.error?.code === 'HUB_ERR_LOCKED') setFootageLocked(true);
    } catch (err) {
      console.warn('a locked answer that was not JSON', url, err);
    }
    return;
  }
  await res.body?.cancel();
  if (!res.ok) console.warn('a clip did not load', url, res.status);
}

/**
 * For a link that opens footage in a new tab or as a download (an incident log, an evidence
 * package): while locked, the hub would only answer "locked" there, so stay and unlock first.
 */
export function guardLockedLink(e: Event): void {
  if (!state.locked) return;
  e.preventDefault();
  focusUnlock();
}
