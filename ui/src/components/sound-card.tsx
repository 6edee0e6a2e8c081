/**
 * Recording sound on one camera: the owner reads what it means, ticks that she understood, and
 * says yes or no. Shown only where the installer set the camera able to record sound; the hub
 * records sound only with both (PUT /api/cameras/:id/sound, audited).
 */
import { useEffect, useState } from 'preact/hooks';
import { get, messageOf, put } from '../api.js';
import { Check, ErrorText, useAction } from './form.js';

interface SoundState {
  installerSet: boolean;
  ownerAgreed: boolean | null;
  recording: boolean;
  note: string;
}

export function SoundCard(props: { cameraId: string }) {
  const [state, setState] = useState<SoundState | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [understood, setUnderstood] = useState(false);
  const { busy, error, run } = useAction();
  const path = `/api/cameras/${encodeURIComponent(props.cameraId)}/sound`;
  useEffect(() => {
    // Another camera: her tick was for the last one's note, and its answer may still be on its way.
    let current = true;
    setState(null);
    setLoadError(null);
    setUnderstood(false);
    get<SoundState>(path).then(
      (s) => current && setState(s),
      (err: unknown) => current && setLoadError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [path]);
  if (loadError) return <ErrorText error={loadError} />;
  if (!state?.installerSet) return null;
  const decide = (agree: boolean) =>
    run(async () => {
      setState(await put<SoundState>(path, agree ? { agree, understood } : { agree }));
      setUnderstood(false);
    });
  return (
    <section class="card" aria-labelledby="sound-h" data-testid="sound-card">
      <h2 id="sound-h">Sound</h2>
      <p data-testid="sound-status">
        {state.recording ? 'Clips from this camera keep sound.' : 'Clips from this camera are picture only.'}
      </p>
      <p>{state.note}</p>
      {state.recording ? (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => decide(false)}>
            Stop recording sound
          </button>
        </div>
      ) : (
        <>
          <Check label="I have read this and understand it" checked={understood} onValue={setUnderstood} />
          <div class="actions">
            <button type="button" class="primary" disabled={busy || !understood} onClick={() => decide(true)}>
              Record sound
            </button>
          </div>
        </>
      )}
      <ErrorText error={error} />
    </section>
  );
}
