/** Settings: notifications on this phone, and every device that gets them (device, since when), each removable. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { del, get, messageOf } from '../api.js';
import { isDiscreet } from '../discreet.js';
import { needsHomeScreen, pushSupported, subscribeThisDevice, thisDeviceId } from '../push.js';
import { ErrorText, Notice, useAction } from './form.js';

interface DeviceRow {
  id: string;
  device: string;
  createdAt: number;
  lastDeliveredAt: number | null;
  discreet: boolean;
}

const when = (ms: number) => new Date(ms).toLocaleString();

export function NotificationsCard() {
  const [devices, setDevices] = useState<DeviceRow[] | null>(null);
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const load = useCallback(() => {
    get<{ subscriptions: DeviceRow[] }>('/api/push/subscriptions').then(
      (r) => setDevices(r.subscriptions),
      (err: unknown) => console.warn('devices', messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);
  const mine = thisDeviceId();
  return (
    <section class="card" aria-labelledby="push-h" data-testid="notifications">
      <h2 id="push-h">Notifications on this phone</h2>
      <p>
        Get a notification when someone rings or is at the door, a door opens while the alarm is on, the alarm goes off, a camera or sensor
        stops working, or the police ask for something. "Ask me first" alerts get Send and Don't send buttons that work from the lock
        screen. A silent alarm is never shown. Also switch on "Notifications on your phone" under "Where your information goes" (on the
        "What police are told" page).
      </p>
      {needsHomeScreen() && (
        <Notice>On iPhone: tap Share, then "Add to Home Screen", open the app from there, and turn notifications on there.</Notice>
      )}
      {!pushSupported() && !needsHomeScreen() && <p class="muted">This browser cannot show notifications from the hub.</p>}
      {pushSupported() && (
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await subscribeThisDevice(isDiscreet());
              setDone(true);
              load();
            })
          }
        >
          Turn on notifications on this phone
        </button>
      )}
      {done && <Notice>This phone will get notifications.</Notice>}
      <ErrorText error={error} />
      <ul class="rows">
        {(devices ?? []).map((d) => (
          <li key={d.id} data-device={d.id}>
            <span class="row-title">
              {d.device}
              {d.id === mine ? ' (this phone)' : ''}
            </span>
            <span class="muted">
              since {when(d.createdAt)}
              {d.lastDeliveredAt ? ` · last notification ${when(d.lastDeliveredAt)}` : ''}
              {d.discreet ? ' · discreet' : ''}
            </span>
            <span class="actions">
              <button
                type="button"
                onClick={() =>
                  void run(async () => {
                    await del(`/api/push/subscriptions/${d.id}`);
                    load();
                  })
                }
              >
                Remove
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
