/** Small accessible building blocks: labelled fields, status messages, async buttons. */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, messageOf } from '../api.js';
import { onFootageLock } from '../footage-lock.js';

type InputProps = Omit<JSX.HTMLAttributes<HTMLInputElement>, 'onInput' | 'value' | 'label'> & {
  label: string;
  value: string;
  onValue: (v: string) => void;
  hint?: string;
  type?: string;
  autoComplete?: string;
  required?: boolean;
  inputMode?: 'numeric' | 'text';
  placeholder?: string;
};

export function Field({ label, value, onValue, hint, id: givenId, ...rest }: InputProps) {
  const generated = useId();
  const id = typeof givenId === 'string' ? givenId : generated;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-describedby={hint ? `${id}-hint` : undefined}
        {...rest}
      />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function Select<T extends string>(props: { label: string; value: T; onValue: (v: T) => void; options: Array<[T, string]> }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onValue(e.currentTarget.value as T)}>
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Check(props: { label: string; checked: boolean; onValue: (v: boolean) => void; hint?: string }) {
  const id = useId();
  return (
    <div class="check">
      <input id={id} type="checkbox" checked={props.checked} onChange={(e) => props.onValue(e.currentTarget.checked)} />
      <label for={id}>
        {props.label}
        {props.hint && <span class="hint"> {props.hint}</span>}
      </label>
    </div>
  );
}

export function ErrorText({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/**
 * Run an async action with a busy state and a shown error. An error that only said "footage is
 * locked" goes once footage is unlocked, so the button can simply be pressed again.
 */
export function useAction(): {
  busy: boolean;
  error: string | null;
  setError: (e: string | null) => void;
  run: (fn: () => Promise<void>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const lockedError = useRef(false);
  useEffect(
    () =>
      onFootageLock((s) => {
        if (s.locked || !lockedError.current) return;
        lockedError.current = false;
        setError(null);
      }),
    [],
  );
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    lockedError.current = false;
    try {
      await fn();
    } catch (err) {
      lockedError.current = err instanceof ApiError && err.code === 'HUB_ERR_LOCKED';
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

export function formatTime(ts: number | null | undefined): string {
  if (!ts) return '—';
  const d = new Date(ts);
  const today = new Date();
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === today.toDateString() ? time : `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${time}`;
}
