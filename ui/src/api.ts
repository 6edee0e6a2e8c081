/**
 * The browser's side of the hub API: JSON over fetch with the session cookie, the CSRF header on
 * state-changing calls, and one place that notices an ended session (401) so every screen goes
 * back to sign-in the same calm way, and locked footage (423) so the unlock card shows wherever
 * footage is.
 */
import type { HubErrorCode } from '../../hub/api/errors.js';
import { setFootageLocked } from './footage-lock.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: HubErrorCode | 'NETWORK',
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let sessionEnded: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called once by the app: what to do when the hub says we are no longer signed in. */
export function onSessionEnded(fn: () => void): void {
  sessionEnded = fn;
}

const SAFE = new Set(['GET', 'HEAD']);
/** Calls where a 401 means "wrong details", not "your session ended". */
const AUTH_PATHS = ['/api/auth/login', '/api/setup', '/api/invites/accept', '/api/session', '/api/auth/recover'];

export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the hub. Check the Wi-Fi and try again.');
  }
  if (res.ok) return res;
  let code: HubErrorCode | 'NETWORK' = 'HUB_ERR_INTERNAL';
  let message = `The hub answered ${res.status}.`;
  let details: Record<string, unknown> | undefined;
  try {
    const parsed = (await res.json()) as { error?: { code: HubErrorCode; message: string; details?: Record<string, unknown> } };
    if (parsed.error) {
      code = parsed.error.code;
      message = parsed.error.message;
      details = parsed.error.details;
    }
  } catch {
    // Not JSON (a proxy page): the status line above is the best we can say.
  }
  if (res.status === 401 && code === 'HUB_ERR_UNAUTHENTICATED' && !AUTH_PATHS.includes(path)) sessionEnded?.();
  // The session is fine but the hub no longer holds the key to open footage (it restarted).
  if (res.status === 423 && code === 'HUB_ERR_LOCKED') setFootageLocked(true);
  throw new ApiError(res.status, code, message, details);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, path, body);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T>(path: string, body: unknown = {}) => api<T>('PUT', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** The text to show for anything thrown by an API call. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
