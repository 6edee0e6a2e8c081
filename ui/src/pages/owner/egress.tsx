/**
 * "Where your information goes": every place something could leave the hub for (the alarm
 * receiving centre, webhooks, alert topics, a broker on another machine, API tokens), where it
 * goes, what it may receive, and a switch. Everything the installer set up starts switched off.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { EgressDestination, EgressView } from '../../../../hub/api/egress.js';
import type { AlertKind } from '../../../../hub/api/events.js';
import { del, get, messageOf, put } from '../../api.js';
import { ErrorText } from '../../components/form.js';
import { navigate } from '../../router.js';

const KIND_WORDS: Record<AlertKind, string> = {
  panic: 'Panic (loud only)',
  duress: 'Second PIN used',
  intrusion: 'Confirmed break-in',
  tamper: 'Tampering or a camera offline',
  link_loss: 'Hub offline',
  open_close: 'Alarm set or unset',
};
const CHANNEL_KINDS: AlertKind[] = ['intrusion', 'tamper', 'panic', 'link_loss'];

function typeWords(d: EgressDestination): string {
  if (d.type === 'police') return 'Police (alarm receiving centre): follows your choices below';
  if (d.type === 'state') return 'Alarm and sensor states';
  if (d.type === 'token') return 'An app you gave a key to (for example Homebridge)';
  if (d.type === 'notifications') return 'Notifications on your phone (switch each phone on in Settings)';
  return 'Alerts';
}

export function WhereItGoes(props: { onChange?: () => void }) {
  const [list, setList] = useState<EgressDestination[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    get<EgressView>('/api/egress').then(
      (r) => {
        setList(r.destinations);
        setError(null);
      },
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);

  const change = (d: EgressDestination, on: boolean, kinds: AlertKind[]) => {
    // Shown at once; the hub's answer (reloaded below) is what stays.
    setList((l) => (l ?? []).map((x) => (x.id === d.id ? { ...x, on, kinds } : x)));
    const request =
      d.type === 'token'
        ? del(`/api/tokens/${encodeURIComponent(d.id.slice('token:'.length))}`)
        : put('/api/consent', { channels: { [d.id]: { on, kinds } } });
    request.then(
      () => {
        load();
        props.onChange?.();
      },
      (err: unknown) => setError(messageOf(err)),
    );
  };

  return (
    <section class="card" aria-labelledby="egress-h" data-testid="egress">
      <h2 id="egress-h">Where your information goes</h2>
      <p>
        Nothing is sent anywhere below until you switch it on. A silent alarm never goes anywhere but the police, and only if you allow it.
      </p>
      <ErrorText error={error} />
      {list && list.length === 0 && <p class="muted">Nothing is set up to leave your home.</p>}
      <ul class="rows">
        {(list ?? []).map((d) => (
          <li key={d.id} data-destination={d.id}>
            <span class="row-title">{typeWords(d)}</span>
            <span>
              {d.destination}
              {d.offMachine ? ' (leaves your home network)' : ' (stays on this hub)'}
            </span>
            {d.destinationChanged && <span class="error">This now goes somewhere new. It stays off until you switch it on again.</span>}
            {d.type === 'channel' && (
              <span class="actions">
                {CHANNEL_KINDS.map((k) => (
                  <label key={k} class="check">
                    <input
                      type="checkbox"
                      checked={d.on && d.kinds.includes(k)}
                      onChange={(e) => {
                        const on = (e.target as HTMLInputElement).checked;
                        const kinds = on ? [...new Set([...d.kinds, k])] : d.kinds.filter((x) => x !== k);
                        change(d, kinds.length > 0, kinds);
                      }}
                    />
                    {KIND_WORDS[k]}
                  </label>
                ))}
              </span>
            )}
            <span class="actions">
              <label class="check">
                <input
                  type="checkbox"
                  role="switch"
                  aria-checked={d.on}
                  checked={d.on}
                  onChange={(e) => change(d, (e.target as HTMLInputElement).checked, d.kinds)}
                />
                {d.type === 'token' ? 'Allowed (untick to withdraw the key)' : d.on ? 'On' : 'Off'}
              </label>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** On the home page after handover: what the installer set up that waits for the owner's OK. */
export function SharingReview() {
  const [off, setOff] = useState<EgressDestination[]>([]);
  useEffect(() => {
    get<EgressView>('/api/egress').then(
      (r) => setOff(r.destinations.filter((d) => d.type !== 'token' && !d.on)),
      (err: unknown) => console.warn('egress', err),
    );
  }, []);
  if (off.length === 0) return null;
  return (
    <section class="card" aria-labelledby="review-h" data-testid="sharing-review">
      <h2 id="review-h">Waiting for your OK</h2>
      <p>
        {off.length === 1 ? 'One place' : `${off.length} places`} your information could go {off.length === 1 ? 'is' : 'are'} set up and
        switched off until you agree:
      </p>
      <ul>
        {off.map((d) => (
          <li key={d.id}>{d.destination}</li>
        ))}
      </ul>
      <p>
        <a
          href="/consent"
          onClick={(e) => {
            e.preventDefault();
            navigate('/consent');
          }}
        >
          Review where your information goes
        </a>
      </p>
    </section>
  );
}
