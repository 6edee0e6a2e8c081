/** The victim's start page: the alarm at a glance, arm / disarm, panic, doors and windows, cameras. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get, messageOf, post } from '../../api.js';
import { eventWords, stateWords } from '../../components/alarm-words.js';
import { AlertsPanel } from '../../components/alerts-panel.js';
import { ErrorText, formatTime } from '../../components/form.js';
import { Keypad } from '../../components/keypad.js';
import { PanicButton } from '../../components/panic-button.js';
import { useLiveEvents } from '../../live.js';
import { navigate } from '../../router.js';
import type { AlarmSensor, AlarmStatus, CameraView, HubEventRow } from '../../view-types.js';
import { SharingReview } from './egress.js';

function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

function sensorWords(s: AlarmSensor): string {
  const parts: string[] = [];
  if (!s.online) parts.push('not reporting');
  else parts.push(s.open === null ? 'unknown' : s.open ? 'open' : 'closed');
  if (s.tamper) parts.push('tampered');
  if (s.batteryLow) parts.push('battery low');
  return parts.join(', ');
}

export function HomePage() {
  const [alarm, setAlarm] = useState<AlarmStatus | null>(null);
  const [cameras, setCameras] = useState<CameraView[] | null>(null);
  const [last, setLast] = useState<string | null>(null);
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [openBlock, setOpenBlock] = useState<string | null>(null);
  const [alertsKey, setAlertsKey] = useState(0);

  const loadAlarm = useCallback(() => {
    get<AlarmStatus>('/api/alarm').then(
      (a) => {
        setAlarm(a);
        setLoadError(null);
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
  }, []);
  const loadCameras = useCallback(() => {
    get<{ cameras: CameraView[] }>('/api/cameras').then(
      (r) => setCameras(r.cameras),
      (err: unknown) => console.warn('cameras', err),
    );
  }, []);
  const loadLast = useCallback(() => {
    get<{ events: HubEventRow[] }>('/api/events?limit=30').then(
      (r) => {
        for (const e of r.events) {
          const words = eventWords(e.name, (e.payload ?? {}) as Record<string, unknown>);
          if (words) return setLast(`${words} · ${formatTime(e.ts)}`);
        }
        return setLast('Nothing yet');
      },
      (err: unknown) => console.warn('events', err),
    );
  }, []);

  const [pinSet, setPinSet] = useState(true);
  useEffect(() => {
    loadAlarm();
    loadCameras();
    loadLast();
    get<{ pinSet: boolean }>('/api/alarm/settings').then(
      (r) => setPinSet(r.pinSet),
      (err: unknown) => console.warn('alarm settings', err),
    );
  }, [loadAlarm, loadCameras, loadLast]);
  useLiveEvents(['alarm.', 'sensor.', 'siren.'], loadAlarm);
  useLiveEvents(['camera.'], loadCameras);
  useLiveEvents(['sensor.', 'alarm.', 'camera.', 'person.detected', 'panic', 'clip.saved'], (name, event) => {
    const words = eventWords(name, event as unknown as Record<string, unknown>);
    if (words) setLast(`${words} · ${formatTime(event.ts)}`);
  });

  const now = useNow(alarm?.state === 'arming' || alarm?.state === 'entry_delay');

  const act = (path: string, body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    setOpenBlock(null);
    post<AlarmStatus>(path, body).then(
      (a) => {
        setPin('');
        setBusy(false);
        if (a && typeof a === 'object' && 'state' in a) setAlarm(a);
        else loadAlarm();
      },
      (err: unknown) => {
        setBusy(false);
        setPin('');
        // Arming with a door open: say which, and offer to arm anyway.
        if (err instanceof ApiError && err.code === 'HUB_ERR_ALARM_STATE' && body.force !== true && path.endsWith('/arm')) {
          setOpenBlock(String(body.mode));
        }
        setError(messageOf(err));
      },
    );
  };

  const words = alarm ? stateWords(alarm, now) : null;
  const disarmed = alarm?.state === 'disarmed';
  return (
    <>
      <h1 tabIndex={-1}>Home</h1>
      <ErrorText error={loadError} />
      {alarm && words && (
        <section class={`card state state-${alarm.state}`} aria-labelledby="state-h" data-testid="alarm-state" data-state={alarm.state}>
          <h2 id="state-h">{words.title}</h2>
          <p aria-live="polite">{words.detail}</p>
          {alarm.sirenOn && <p>The siren is sounding.</p>}
        </section>
      )}
      <SharingReview />
      {!pinSet && (
        <section class="card" aria-labelledby="pin-first-h">
          <h2 id="pin-first-h">Choose your alarm PIN</h2>
          <p>
            The alarm needs a PIN before it can be turned on. Choose one in{' '}
            <a
              href="/settings"
              onClick={(e) => {
                e.preventDefault();
                navigate('/settings');
              }}
            >
              Settings
            </a>
            .
          </p>
        </section>
      )}
      {alarm && (
        <section class="card" aria-labelledby="arm-h">
          <h2 id="arm-h">{disarmed ? 'Turn the alarm on' : 'Turn the alarm off'}</h2>
          <Keypad pin={pin} onPin={setPin} disabled={busy} />
          <ErrorText error={error} />
          <div class="actions">
            {disarmed ? (
              <>
                <button
                  type="button"
                  class="primary"
                  disabled={busy}
                  onClick={() => act('/api/alarm/arm', { mode: 'armed_away', ...(pin ? { pin } : {}) })}
                >
                  Arm: going out
                </button>
                <button
                  type="button"
                  class="primary"
                  disabled={busy}
                  onClick={() => act('/api/alarm/arm', { mode: 'armed_home', ...(pin ? { pin } : {}) })}
                >
                  Arm: staying in
                </button>
                {openBlock && (
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => act('/api/alarm/arm', { mode: openBlock, force: true, ...(pin ? { pin } : {}) })}
                  >
                    Arm anyway
                  </button>
                )}
              </>
            ) : (
              <button type="button" class="primary" disabled={busy || pin.length === 0} onClick={() => act('/api/alarm/disarm', { pin })}>
                Disarm
              </button>
            )}
          </div>
        </section>
      )}
      <section class="card" aria-labelledby="panic-h">
        <h2 id="panic-h">Help</h2>
        <PanicButton onSent={() => setAlertsKey((k) => k + 1)} />
      </section>
      <AlertsPanel refreshKey={alertsKey} limit={3} />
      {alarm && (
        <section class="card" aria-labelledby="sensors-h">
          <h2 id="sensors-h">Doors and windows</h2>
          {alarm.sensors.length === 0 && <p class="muted">No sensors yet.</p>}
          <ul class="rows" data-testid="sensors">
            {alarm.sensors.map((s) => (
              <li key={s.id} data-sensor={s.id} data-open={String(s.open)}>
                <span class="row-title">
                  {s.name}
                  {s.location && <span class="muted"> · {s.location}</span>}
                </span>
                <span class={`status ${s.open || !s.online || s.tamper ? 'warn' : 'ok'}`}>{sensorWords(s)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card" aria-labelledby="cams-h">
        <h2 id="cams-h">Cameras</h2>
        {cameras && cameras.length === 0 && <p class="muted">No cameras yet.</p>}
        <ul class="rows">
          {(cameras ?? []).map((c) => (
            <li key={c.id}>
              <span class="row-title">{c.name}</span>
              <span class={`status ${c.status?.online ? 'ok' : 'warn'}`} data-testid={`camera-${c.id}`}>
                {c.status?.online ? (c.status.recording ? 'online, recording' : 'online') : 'offline'}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section class="card" aria-labelledby="last-h">
        <h2 id="last-h">Last event</h2>
        <p data-testid="last-event">{last ?? '…'}</p>
      </section>
    </>
  );
}
