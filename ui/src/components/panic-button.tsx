/**
 * The panic control. It fires only after being held for HOLD_MS (pointer, touch, or Space/Enter
 * held down), so a pocket or a stray tap does not call the police. Feedback is quiet: a thin
 * progress ring while held, then a short "Sent" and a tiny vibration.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, post } from '../api.js';

export const HOLD_MS = 2000;
/** How long "Sent" stays before the button looks untouched again. */
export const SENT_SHOWN_MS = 3000;

type Phase = 'idle' | 'holding' | 'sending' | 'sent' | 'failed';

/** `compact`: the one-line form at the bottom of every owner page. */
export function PanicButton(props: { onSent?: () => void; compact?: boolean }) {
  const [phase, setPhase] = useState<Phase>('idle');
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const frame = useRef<number | null>(null);
  const startedAt = useRef(0);

  const stopTimers = () => {
    if (timer.current) clearTimeout(timer.current);
    if (frame.current !== null) cancelAnimationFrame(frame.current);
    timer.current = null;
    frame.current = null;
  };
  useEffect(() => stopTimers, []);

  const fire = () => {
    stopTimers();
    setProgress(1);
    setPhase('sending');
    post('/api/panic', {}).then(
      () => {
        setPhase('sent');
        // Quiet afterwards: no ring, a tiny vibration, "Sent" for a moment, then the button is
        // exactly as it was, so someone who takes the phone later sees nothing happened.
        setProgress(0);
        navigator.vibrate?.(40);
        props.onSent?.();
        timer.current = setTimeout(() => setPhase('idle'), SENT_SHOWN_MS);
      },
      (err: unknown) => {
        setPhase('failed');
        setError(messageOf(err));
      },
    );
  };

  const start = () => {
    if (phase === 'holding' || phase === 'sending') return;
    setError(null);
    setPhase('holding');
    startedAt.current = performance.now();
    const tick = () => {
      setProgress(Math.min((performance.now() - startedAt.current) / HOLD_MS, 1));
      frame.current = requestAnimationFrame(tick);
    };
    frame.current = requestAnimationFrame(tick);
    timer.current = setTimeout(fire, HOLD_MS);
  };

  const cancel = () => {
    if (phase !== 'holding') return;
    stopTimers();
    setProgress(0);
    setPhase('idle');
  };

  const label = phase === 'sent' ? 'Sent' : phase === 'sending' ? 'Sending…' : 'Hold for help';
  return (
    <div class={`panic${props.compact ? ' compact' : ''}`}>
      <button
        type="button"
        class={`panic-button ${phase}`}
        data-testid="panic"
        data-phase={phase}
        aria-describedby="panic-hint"
        style={{ '--progress': String(progress) }}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          start();
        }}
        onPointerUp={cancel}
        onPointerCancel={cancel}
        onLostPointerCapture={cancel}
        onKeyDown={(e) => {
          if (e.key === ' ' || e.key === 'Enter') {
            e.preventDefault();
            if (!e.repeat) start();
          }
        }}
        onKeyUp={(e) => {
          if (e.key === ' ' || e.key === 'Enter') {
            e.preventDefault();
            cancel();
          }
        }}
        onBlur={cancel}
        onClick={(e) => e.preventDefault()}
        onContextMenu={(e) => e.preventDefault()}
      >
        <span class="ring" aria-hidden="true" />
        <span>{label}</span>
      </button>
      <p id="panic-hint" class={props.compact ? 'sr-only' : 'hint'}>
        Press and hold for 2 seconds (or hold Space). It asks for help as you chose in "What police are told".
      </p>
      <p class="sr-status" role="status" aria-live="polite">
        {phase === 'holding' ? 'Keep holding' : phase === 'sent' ? 'Help request sent' : ''}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
