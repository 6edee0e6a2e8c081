/** The live doorbell, and a button to keep a clip of what is happening now. */
import { useEffect, useState } from 'preact/hooks';
import { get, messageOf, post } from '../../api.js';
import { DoorbellRang } from '../../components/doorbell-rang.js';
import { ErrorText, Notice, useAction } from '../../components/form.js';
import { LiveView } from '../../components/live-view.js';
import { SoundCard } from '../../components/sound-card.js';
import { UnlockCard } from '../../components/unlock-card.js';
import { useVisits, VisitRow } from '../../components/visits.js';
import type { CameraView } from '../../view-types.js';

export function DoorbellPage() {
  const [cameras, setCameras] = useState<CameraView[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const { visits } = useVisits(5);
  useEffect(() => {
    get<{ cameras: CameraView[] }>('/api/cameras').then(
      (r) => {
        setCameras(r.cameras);
        const first = r.cameras.find((c) => c.kind === 'doorbell') ?? r.cameras[0];
        if (first) setChosen(first.id);
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
  }, []);
  const camera = cameras?.find((c) => c.id === chosen) ?? null;
  return (
    <>
      <h1 tabIndex={-1}>Doorbell</h1>
      <ErrorText error={loadError} />
      <DoorbellRang visits={visits} />
      {cameras && cameras.length === 0 && <p>No camera has been set up yet.</p>}
      {cameras && cameras.length > 1 && (
        <fieldset class="actions">
          <legend class="sr-status">Choose a camera</legend>
          {cameras.map((c) => (
            <button key={c.id} type="button" aria-pressed={c.id === chosen} onClick={() => setChosen(c.id)}>
              {c.name}
            </button>
          ))}
        </fieldset>
      )}
      {camera && (
        <>
          <LiveView cameraId={camera.id} name={camera.name} />
          <div class="actions">
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  await post(`/api/cameras/${encodeURIComponent(camera.id)}/clips`, {});
                  setSaved('Saving a clip of the last moments. It will appear in the timeline as a visit.');
                })
              }
            >
              Keep a clip now
            </button>
          </div>
          <ErrorText error={error} />
          {saved && <Notice>{saved}</Notice>}
          <SoundCard cameraId={camera.id} />
        </>
      )}
      {visits && visits.length > 0 && (
        <section class="card" aria-labelledby="recent-h">
          <h2 id="recent-h">Recent visits</h2>
          <UnlockCard nested />
          <ul class="rows">
            {visits.slice(0, 3).map((v) => (
              <li key={v.id}>
                <VisitRow visit={v} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
