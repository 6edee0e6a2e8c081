/** Walk test: open each door and window and watch its row light up, live. */
import { useEffect, useState } from 'preact/hooks';
import type { SensorDevice } from '../../../../hub/api/devices.js';
import { get, messageOf } from '../../api.js';
import { ErrorText, formatTime } from '../../components/form.js';
import { useLiveEvents } from '../../live.js';
import type { HubEventRow } from '../../view-types.js';

interface Trip {
  ts: number;
  what: string;
}

const WHAT: Record<string, string> = {
  'sensor.opened': 'opened',
  'sensor.closed': 'closed',
  'sensor.tamper': 'tamper',
  'sensor.battery_low': 'battery low',
  'sensor.offline': 'offline',
  'sensor.online': 'online',
  'button.pressed': 'pressed',
};

export function WalkTest() {
  const [sensors, setSensors] = useState<SensorDevice[] | null>(null);
  const [trips, setTrips] = useState<Record<string, Trip>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ sensors: SensorDevice[] }>('/api/devices').then(
      (r) => setSensors(r.sensors),
      (err: unknown) => setError(messageOf(err)),
    );
    get<{ events: HubEventRow[] }>(`/api/events?limit=500&names=${Object.keys(WHAT).join(',')}`).then(
      (r) => {
        const found: Record<string, Trip> = {};
        // Newest first: the first row per sensor is its last trip.
        for (const e of r.events) {
          const id = (e.payload as { sensorId?: string } | undefined)?.sensorId;
          if (id && !found[id]) found[id] = { ts: e.ts, what: WHAT[e.name] ?? e.name };
        }
        setTrips((t) => ({ ...found, ...t }));
      },
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useLiveEvents(['sensor.', 'button.pressed'], (name, event) => {
    const id = (event as { sensorId?: string }).sensorId;
    if (!id) return;
    const what = WHAT[name];
    if (what) setTrips((t) => ({ ...t, [id]: { ts: event.ts, what } }));
    // A report with no change (the first one, or a check-in) still proves the sensor is heard.
    else if (name === 'sensor.seen')
      setTrips((t) => (t[id] && t[id].what !== 'heard' ? t : { ...t, [id]: { ts: event.ts, what: 'heard' } }));
  });
  const fresh = (t: Trip | undefined) => t !== undefined && Date.now() - t.ts < 60_000;
  return (
    <>
      <h1 tabIndex={-1}>Walk test</h1>
      <p>Open and close each door and window. Each row shows the last thing the hub heard from it, as it happens.</p>
      <ErrorText error={error} />
      <ul class="rows" data-testid="walk-test" aria-live="polite">
        {(sensors ?? []).map((s) => {
          const t = trips[s.id];
          return (
            <li key={s.id} data-sensor={s.id} class={fresh(t) ? 'fresh' : ''}>
              <span class="row-title">{s.name}</span>
              <span class={`status ${t ? 'ok' : 'muted'}`} data-testid={`trip-${s.id}`}>
                {t ? `${t.what} · ${formatTime(t.ts)}` : 'not heard yet'}
              </span>
            </li>
          );
        })}
      </ul>
    </>
  );
}
