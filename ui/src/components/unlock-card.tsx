/**
 * "Your recordings are locked": shown where footage is (a clip, a still, a footage request, an
 * incident log, an evidence package) while the hub cannot open it, with a password field that
 * unlocks it (`POST /api/auth/unlock`). It stands in the page like any card: nothing else waits
 * for it. Its words are plain and calm; in discreet mode they pass through the same neutral
 * vocabulary as every other word on screen (discreet-words.ts).
 */
import { useState } from 'preact/hooks';
import { ApiError, post } from '../api.js';
import { setFootageLocked, UNLOCK_FIELD_ID, useFootageLock } from '../footage-lock.js';
import { ErrorText, Field, Notice, useAction } from './form.js';
import { codeFrom, type RecoveryCodeAnswer, showRecoveryCode } from './recovery-code.js';

/** `nested`: inside another card (the last visit on Home, the doorbell's recent visits). */
export function UnlockCard({ nested = false }: { nested?: boolean }) {
  const { locked } = useFootageLock();
  const [password, setPassword] = useState('');
  const [unlocked, setUnlocked] = useState(false);
  const { busy, error, setError, run } = useAction();
  if (!locked) {
    return unlocked ? <Notice>Unlocked: your recordings open again.</Notice> : null;
  }
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      try {
        const r = await post<{ footageUnlocked: boolean } & RecoveryCodeAnswer>('/api/auth/unlock', { password });
        setPassword('');
        setUnlocked(true);
        setFootageLocked(false);
        // An account that never had a recovery code gets one now, once.
        const shown = codeFrom(r);
        if (shown) showRecoveryCode(shown);
      } catch (err) {
        setPassword('');
        if (err instanceof ApiError && err.code === 'HUB_ERR_BAD_CREDENTIALS') {
          setError('That is not your password. Nothing was unlocked: try again.');
          return;
        }
        throw err;
      }
    });
  };
  return (
    <form class={`${nested ? '' : 'card '}unlock`} aria-labelledby="unlock-h" data-testid="unlock-card" onSubmit={submit}>
      {nested ? <h3 id="unlock-h">Your recordings are locked</h3> : <h2 id="unlock-h">Your recordings are locked</h2>}
      <p>
        For your safety the hub cannot open them on its own. Type your password to open them. Everything else keeps working while they are
        locked.
      </p>
      <Field
        id={UNLOCK_FIELD_ID}
        label="Your password"
        type="password"
        autoComplete="current-password"
        value={password}
        onValue={setPassword}
        required
      />
      <ErrorText error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Unlocking…' : 'Unlock'}
      </button>
    </form>
  );
}
