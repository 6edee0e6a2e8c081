/**
 * The victim's start page: the alarm and what to do next at a glance, a doorbell press that
 * stays, arm / disarm, the last visit, doors and windows, cameras. Help is in the dock at the
 * bottom of every page (app.tsx).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get, messageOf, post } from '../../api.js';
import { eventWords, stateWords } from '../../components/alarm-words.js';
import { AlertsPanel } from '../../components/alerts-panel.js';
import { DoorbellRang } from '../../components/doorbell-rang.js';
import { ErrorText, formatTime } from '../../components/form.js';
import { Keypad } from '../../components/keypad.js';
import { UnlockCard } from '../../components/unlock-card.js';
import { useVisits, VisitRow } from '../../components/visits.js';
import { useLiveEvents } from '../../live.js';
import { navigate } from '../../router.js';
import type { AlarmSensor, AlarmStatus, AlertView, CameraView, HubEventRow, PoliceRequestView } from '../../view-types.js';
import { BackupGlance } from './backup-card.js';
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
  // Armed over while open: the alarm does not watch it until it closes. Said in a plain word.
  else if (s.bypassed) parts.push('paused: left open, watched again once closed');
  else parts.push(s.open === null ? 'no reading yet' : s.open ? 'open' : 'closed');
  if (s.tamper) parts.push('tampered');
  if (s.batteryLow) parts.push('battery low');
  return parts.join(', ');
}

/**
 * Green only for a known good state. A paused sensor or one with no reading yet is grey (the
 * alarm is not relying on it, and nothing is wrong with it); a problem is amber.
 */
function sensorClass(s: AlarmSensor): string {
  if (!s.online || s.tamper || s.batteryLow) return 'warn';
  if (s.bypassed) return 'paused';
  if (s.open) return 'warn';
  return s.open === null ? 'unknown' : 'ok';
}

/** The one thing to do next, in order of urgency. */
function nextStep(a: AlarmStatus | null, pinSet: boolean, waiting: number): string {
  if (a?.state === 'triggered') return 'The alarm is going off. Call 999 if you are in danger, or tell the police now.';
  if (a?.state === 'entry_delay') return 'Enter your PIN to turn the alarm off.';
  if (!pinSet) return 'Choose your alarm PIN in Settings: the alarm cannot be turned on without it.';
  if (waiting > 0) return `The police asked for footage: answer in Police requests (${waiting} waiting).`;
  if (a?.state === 'disarmed') return 'Turn the alarm on when you go out or go to bed.';
  return 'Nothing to do: the alarm is watching.';
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
  const [waiting, setWaiting] = useState(0);
  const [asking, setAsking] = useState<AlertView[]>([]);
  const [keptHome, setKeptHome] = useState<AlertView[]>([]);
  const loadRequests = useCallback(() => {
    get<{ requests: PoliceRequestView[] }>('/api/requests').then(
      (r) => setWaiting(r.requests.filter((q) => q.status === 'pending').length),
      (err: unknown) => console.warn('requests', err),
    );
  }, []);
  const loadAsking = useCallback(() => {
    get<{ alerts: AlertView[] }>('/api/alerts').then(
      (r) => {
        setAsking(r.alerts.filter((a) => a.status === 'awaiting_consent'));
        // Alarms her standing choice kept at home within the last hour: these can be sent once.
        const since = Date.now() - 60 * 60_000;
        setKeptHome(
          r.alerts.filter((a) => a.phase === 'alarm' && (a.status === 'refused' || a.status === 'expired') && a.createdAt >= since),
        );
      },
      (err: unknown) => console.warn('alerts', err),
    );
  }, []);
  const { visits } = useVisits(10);
  useEffect(() => {
    loadAlarm();
    loadCameras();
    loadLast();
    loadRequests();
    loadAsking();
    get<{ pinSet: boolean }>('/api/alarm/settings').then(
      (r) => setPinSet(r.pinSet),
      (err: unknown) => console.warn('alarm settings', err),
    );
  }, [loadAlarm, loadCameras, loadLast, loadRequests, loadAsking]);
  useLiveEvents(['request.'], loadRequests);
  useLiveEvents(['alert.'], loadAsking);
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
          {alarm.state === 'triggered' && (
            <div class="alarm-actions" data-testid="alarm-actions">
              <a class="button primary" href="tel:999" data-testid="call-999">
                Call 999
              </a>
              <TellPoliceNow
                asking={asking}
                keptHome={keptHome}
                onDone={() => {
                  loadAsking();
                  setAlertsKey((k) => k + 1);
                }}
              />
              <button
                type="button"
                data-testid="silence"
                onClick={() => {
                  setError(
                    alarm.sirenOn
                      ? 'Enter your PIN below and press "Silence only": the siren stops, the alarm stays on. Disarm turns it all off.'
                      : 'The siren is not sounding. Enter your PIN below and press Disarm to turn the alarm off.',
                  );
                  document.querySelector<HTMLInputElement>('#main input')?.focus();
                }}
              >
                Silence the siren
              </button>
            </div>
          )}
        </section>
      )}
      <section class="card glance" aria-labelledby="glance-h" data-testid="glance">
        <h2 id="glance-h">At a glance</h2>
        <p class="next-step" data-testid="next-step">
          <strong>Next: </strong>
          {nextStep(alarm, pinSet, waiting)}
        </p>
        <ul class="rows">
          <li data-testid="glance-pin">
            <span class="row-title">Alarm PIN</span>
            <span class={`status ${pinSet ? 'ok' : 'warn'}`}>{pinSet ? 'set' : 'not set yet'}</span>
          </li>
          <li data-testid="glance-requests">
            <span class="row-title">
              <a
                href="/requests"
                onClick={(e) => {
                  e.preventDefault();
                  navigate('/requests');
                }}
              >
                Police requests
              </a>
            </span>
            <span class={`status ${waiting > 0 ? 'warn' : 'unknown'}`}>
              {waiting > 0 ? `${waiting} waiting for your answer` : 'none waiting'}
            </span>
          </li>
          <BackupGlance />
        </ul>
      </section>
      <DoorbellRang visits={visits} />
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
              <>
                <button type="button" class="primary" disabled={busy || pin.length === 0} onClick={() => act('/api/alarm/disarm', { pin })}>
                  Disarm
                </button>
                {alarm.state === 'triggered' && alarm.sirenOn && (
                  <button
                    type="button"
                    data-testid="silence-only"
                    disabled={busy || pin.length === 0}
                    onClick={() => act('/api/alarm/silence', { pin })}
                  >
                    Silence only
                  </button>
                )}
              </>
            )}
          </div>
        </section>
      )}
      {visits?.[0] && (
        <section class="card" aria-labelledby="visit-h" data-testid="last-visit">
          <h2 id="visit-h">Last visit</h2>
          <UnlockCard nested />
          <VisitRow visit={visits[0]} />
        </section>
      )}
      <AlertsPanel refreshKey={alertsKey} limit={3} />
      {alarm && (
        <section class="card" aria-labelledby="sensors-h">
          <h2 id="sensors-h">Doors and windows</h2>
          {alarm.sensors.length === 0 && <p class="muted">No sensors yet.</p>}
          <ul class="rows" data-testid="sensors">
            {alarm.sensors.map((s) => (
              <li key={s.id} data-sensor={s.id} data-open={String(s.open)} data-bypassed={String(s.bypassed)}>
                <span class="row-title">
                  {s.name}
                  {s.location && <span class="muted"> · {s.location}</span>}
                </span>
                <span class={`status ${sensorClass(s)}`}>{sensorWords(s)}</span>
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
              <span class={`status ${c.status ? (c.status.online ? 'ok' : 'warn') : 'unknown'}`} data-testid={`camera-${c.id}`}>
                {c.status ? (c.status.online ? (c.status.recording ? 'online, recording' : 'online') : 'offline') : 'not started'}
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

/**
 * "Tell the police now" during an alarm. When the hub is holding an alert for her answer ("ask me
 * first"), this sends it: the hub asks the consent module again at the tap and audits the answer.
 * When her standing choice kept the alarm at home ("never", or the police channel not switched
 * on), she is asked on the spot whether to send this alarm, this once, to a police destination the
 * installer set up; the hub decides with that one-off consent, audits it and sends it through the
 * outbox. Her usual choices stay as they are.
 */
function TellPoliceNow({ asking, keptHome, onDone }: { asking: AlertView[]; keptHome: AlertView[]; onDone: () => void }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const [police, setPolice] = useState<Array<{ id: string; destination: string }> | null>(null);
  const alert = asking[0];
  const once = keptHome.find((a) => a.kind === 'intrusion' || a.kind === 'panic') ?? keptHome[0];
  const target = police?.[0];
  const open = () => {
    setConfirm(true);
    setError(null);
    if (!alert)
      get<{ destinations: Array<{ id: string; police: boolean; destination: string }> }>('/api/consent').then(
        (r) => setPolice(r.destinations.filter((d) => d.police)),
        (err: unknown) => {
          setPolice([]);
          setError(messageOf(err));
        },
      );
  };
  const send = (path: string, body?: Record<string, unknown>) =>
    post(path, body).then(
      () => {
        setSent(true);
        onDone();
      },
      (err: unknown) => setError(messageOf(err)),
    );
  if (sent) return <p role="status">Sent to the police. The alerts below show when they answer.</p>;
  if (!confirm)
    return (
      <button type="button" class="primary" data-testid="tell-police" onClick={open}>
        Tell the police now
      </button>
    );
  const notNow = (
    <button type="button" onClick={() => setConfirm(false)}>
      Not now
    </button>
  );
  let body: preact.JSX.Element;
  if (alert)
    body = (
      <>
        <p>Send this alarm to the police now, with your address?</p>
        <div class="actions">
          <button type="button" class="primary" onClick={() => send(`/api/alerts/${encodeURIComponent(alert.id)}/send`)}>
            Yes, send it
          </button>
          {notNow}
        </div>
      </>
    );
  else if (police === null) body = <p>…</p>;
  else if (once && target)
    body = (
      <>
        <p data-testid="tell-police-question">
          Send this alarm to {target.destination} now? This once only; your usual choices stay as they are. They get the alarm and its time,
          not your address or a photo.
        </p>
        <div class="actions">
          <button
            type="button"
            class="primary"
            onClick={() =>
              send(`/api/alerts/${encodeURIComponent(once.id)}/send-once`, { channel: target.id, destination: target.destination })
            }
          >
            Yes, send it this once
          </button>
          {notNow}
        </div>
      </>
    );
  else
    body = (
      <>
        <p>
          {police.length === 0
            ? 'No alarm receiving centre is set up, so the hub cannot tell the police. Call 999.'
            : 'The hub has not confirmed this alarm yet (a second sensor or the camera confirms it), so there is nothing to send yet. Call 999 if you are in danger.'}
        </p>
        <div class="actions">{notNow}</div>
      </>
    );
  return (
    <div class="card" data-testid="tell-police-confirm">
      {body}
      <ErrorText error={error} />
    </div>
  );
}
