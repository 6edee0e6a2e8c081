/**
 * A recovery code, shown the one time the hub sends it (owner account made at setup or handover,
 * the first sign-in after keys came in, a forgotten password, a new code from Account and
 * security): large, in its groups of four, with a copy button and the hub's note in plain words,
 * and a tick box "I have written it down" before anything else happens. The code is never kept:
 * once she moves on it is gone from this page.
 */
import { useEffect, useState } from 'preact/hooks';
import { Check } from './form.js';

export interface RecoveryCodeAnswer {
  recoveryCode?: string;
  recoveryNote?: string;
}

export interface ShownCode {
  code: string;
  note: string | null;
}

/** The code and note from an answer, when it carries one. */
export function codeFrom(answer: RecoveryCodeAnswer | null | undefined): ShownCode | null {
  return answer?.recoveryCode ? { code: answer.recoveryCode, note: answer.recoveryNote ?? null } : null;
}

export function RecoveryCodeScreen(props: {
  shown: ShownCode;
  heading?: string;
  intro?: string;
  continueLabel?: string;
  onDone: () => void;
}) {
  const [written, setWritten] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const groups = props.shown.code.split(/[-\s]+/).filter(Boolean);
  const copy = () => {
    navigator.clipboard.writeText(props.shown.code).then(
      () => setCopied('Copied. Paste it somewhere only you can see, or better, write it on paper.'),
      (err: unknown) => {
        console.warn('copy failed', err);
        setCopied('This browser would not copy it: write it down instead.');
      },
    );
  };
  return (
    <section class="recovery" aria-labelledby="recovery-h" data-testid="recovery-screen">
      <h1 id="recovery-h" tabIndex={-1}>
        {props.heading ?? 'Your recovery code'}
      </h1>
      {props.intro && <p>{props.intro}</p>}
      <p class="recovery-code" data-testid="recovery-code">
        {groups.map((g, i) => (
          <span key={i} class="group">
            {g}
          </span>
        ))}
      </p>
      <div class="actions">
        <button type="button" onClick={copy}>
          Copy the code
        </button>
      </div>
      {copied && (
        <p class="hint" role="status">
          {copied}
        </p>
      )}
      {props.shown.note && (
        <p class="notice recovery-note" data-testid="recovery-note">
          {props.shown.note}
        </p>
      )}
      <Check label="I have written it down" checked={written} onValue={setWritten} />
      <button type="button" class="primary" disabled={!written} onClick={props.onDone}>
        {props.continueLabel ?? 'Continue'}
      </button>
    </section>
  );
}

/**
 * A code that arrived while signed in (sign-in, unlock, a new code from settings): the app shell
 * shows it in place of the page until it is written down. Kept in memory only.
 */
let pending: ShownCode | null = null;
const listeners = new Set<(c: ShownCode | null) => void>();

export function showRecoveryCode(shown: ShownCode | null): void {
  pending = shown;
  for (const l of listeners) l(pending);
}

export function usePendingRecoveryCode(): ShownCode | null {
  const [c, setC] = useState(pending);
  useEffect(() => {
    setC(pending);
    listeners.add(setC);
    return () => {
      listeners.delete(setC);
    };
  }, []);
  return c;
}
