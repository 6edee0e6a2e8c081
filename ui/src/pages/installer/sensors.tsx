/**
 * Installer: the door and window sensors (Zigbee2MQTT friendly names or plain MQTT topics): name
 * them, say where they are, which are entry routes, and which carry SmartWater with its kit code.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SensorDevice } from '../../../../hub/api/devices.js';
import type { SensorKind } from '../../../../hub/api/events.js';
import { del, get, messageOf, put } from '../../api.js';
import { Check, ErrorText, Field, Notice, Select, useAction } from '../../components/form.js';
import { slugId } from './cameras.js';

const KINDS: Array<[SensorKind, string]> = [
  ['door', 'Door'],
  ['window', 'Window'],
  ['gate', 'Gate'],
  ['motion', 'Motion sensor'],
  ['button', 'Panic button'],
  ['other', 'Other'],
];

function SensorForm(props: { sensor: SensorDevice | null; onSaved: () => void; onCancel?: () => void }) {
  const s = props.sensor;
  const [name, setName] = useState(s?.name ?? '');
  const [location, setLocation] = useState(s?.location ?? '');
  const [kind, setKind] = useState<SensorKind>(s?.kind ?? 'door');
  const [type, setType] = useState<'zigbee2mqtt' | 'generic'>(s?.source.type ?? 'zigbee2mqtt');
  const [friendly, setFriendly] = useState(s?.source.type === 'zigbee2mqtt' ? s.source.friendlyName : '');
  const [topic, setTopic] = useState(s?.source.type === 'generic' ? s.source.topic : '');
  const [jsonPath, setJsonPath] = useState(s?.source.type === 'generic' ? (s.source.jsonPath ?? '') : '');
  const [entryRoute, setEntryRoute] = useState(s?.entryRoute ?? false);
  const [perimeter, setPerimeter] = useState(s?.perimeter ?? true);
  const [marked, setMarked] = useState(s?.smartwater.marked ?? false);
  const [kitCode, setKitCode] = useState(s?.smartwater.kitCode ?? '');
  const [saved, setSaved] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const id = s?.id ?? slugId(name);
      const source =
        type === 'zigbee2mqtt' ? { type, friendlyName: friendly.trim() } : { type, topic: topic.trim(), jsonPath: jsonPath.trim() || null };
      await put(`/api/devices/sensors/${encodeURIComponent(id)}`, {
        name,
        location,
        kind,
        entryRoute,
        perimeter,
        smartwater: { marked, kitCode: marked && kitCode.trim() ? kitCode.trim() : null },
        source,
        ...(kind === 'button' ? { panicActions: ['single', 'hold', 'double'] } : {}),
      });
      setSaved(`Saved "${name}".`);
      if (!s) {
        setName('');
        setFriendly('');
        setTopic('');
        setLocation('');
      }
      props.onSaved();
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-label={s ? `Edit ${s.name}` : 'Add a sensor'}>
      <h2>{s ? `Edit ${s.name}` : 'Add a sensor'}</h2>
      <Select
        label="Connected through"
        value={type}
        onValue={setType}
        options={[
          ['zigbee2mqtt', 'Zigbee2MQTT'],
          ['generic', 'Other MQTT device'],
        ]}
      />
      {type === 'zigbee2mqtt' ? (
        <Field
          label="Zigbee2MQTT friendly name"
          value={friendly}
          onValue={setFriendly}
          required
          autoCapitalize="none"
          hint="As shown in Zigbee2MQTT, e.g. front_door."
        />
      ) : (
        <>
          <Field label="MQTT topic" value={topic} onValue={setTopic} required autoCapitalize="none" />
          <Field
            label="Value inside the message (optional)"
            value={jsonPath}
            onValue={setJsonPath}
            autoCapitalize="none"
            hint="A dotted path like state.contact; empty if the message is just the value."
          />
        </>
      )}
      <Field label="Name" value={name} onValue={setName} required hint="What the person living here calls it, e.g. Front door." />
      <Field label="Where" value={location} onValue={setLocation} hint="Room or side of the house." />
      <Select label="Kind" value={kind} onValue={setKind} options={KINDS} />
      <Check label="Entry route" hint="(gives time to enter the PIN when coming home)" checked={entryRoute} onValue={setEntryRoute} />
      <Check
        label="On the outside of the home"
        hint="(watched even when the alarm is set for staying in)"
        checked={perimeter}
        onValue={setPerimeter}
      />
      <Check label="Marked with SmartWater" checked={marked} onValue={setMarked} />
      {marked && <Field label="SmartWater kit code" value={kitCode} onValue={setKitCode} autoCapitalize="characters" />}
      <ErrorText error={error} />
      {saved && <Notice>{saved}</Notice>}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Save sensor
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Close
          </button>
        )}
      </div>
    </form>
  );
}

export function SensorSetup() {
  const [sensors, setSensors] = useState<SensorDevice[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    get<{ sensors: SensorDevice[] }>('/api/devices').then(
      (r) => setSensors(r.sensors),
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);
  const remove = (s: SensorDevice) => {
    if (!confirm(`Remove ${s.name}?`)) return;
    del(`/api/devices/${encodeURIComponent(s.id)}`).then(load, (err: unknown) => setError(messageOf(err)));
  };
  const editingSensor = sensors?.find((s) => s.id === editing) ?? null;
  return (
    <>
      <h1 tabIndex={-1}>Sensors</h1>
      <ErrorText error={error} />
      <section class="card" aria-labelledby="sensors-h">
        <h2 id="sensors-h">Sensors set up</h2>
        {sensors && sensors.length === 0 && (
          <p class="muted">None yet. Pair them in Zigbee2MQTT, then add each below by its friendly name.</p>
        )}
        <ul class="rows" data-testid="sensor-list">
          {(sensors ?? []).map((s) => (
            <li key={s.id}>
              <span class="row-title">
                {s.name} <span class="muted">{s.location}</span>
              </span>
              <span class="muted">
                {[s.entryRoute ? 'entry route' : null, s.smartwater.marked ? `SmartWater ${s.smartwater.kitCode ?? ''}` : null]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
              <span class="actions">
                <button type="button" onClick={() => setEditing(s.id)} aria-label={`Edit ${s.name}`}>
                  Edit
                </button>
                <button type="button" onClick={() => remove(s)} aria-label={`Remove ${s.name}`}>
                  Remove
                </button>
              </span>
            </li>
          ))}
        </ul>
      </section>
      {editingSensor ? (
        <SensorForm key={editingSensor.id} sensor={editingSensor} onSaved={load} onCancel={() => setEditing(null)} />
      ) : (
        <SensorForm key="new" sensor={null} onSaved={load} />
      )}
    </>
  );
}
