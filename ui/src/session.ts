/** The signed-in session as the app holds it (the cookie itself is httpOnly and never seen here). */
import type { SessionUser } from '../../hub/api/roles.js';

export interface AppSession {
  user: SessionUser;
  csrfToken: string;
  expiresAt: number;
  /** Whether the hub holds this account's key (false after a restart until the password is typed again). */
  footageUnlocked?: boolean;
}

/** What `POST /api/auth/login` answers: the session, and once (an owner's first sign-in since keys came in) a recovery code. */
export interface SignInAnswer extends AppSession {
  recoveryCode?: string;
  recoveryNote?: string;
}

export type HubMode = 'setup' | 'installing' | 'handover' | 'active';

/** `GET /api`: the mode for anyone; the names only for a signed-in device. */
export interface HubInfo {
  mode: HubMode;
  hubFingerprint: string | null;
  name?: string;
  version?: string;
  home?: string;
}

export const EXPIRED_NOTICE = 'You were signed out because your session ended. Sign in again when you are ready.';
