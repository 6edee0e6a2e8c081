/**
 * Installer: find the doorbell (ONVIF discovery) or add it by RTSP URL, see a test still, save it,
 * then draw its detection zones on a still.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { PublicCameraDevice, Zone } from '../../../../hub/api/devices.js';
import type { DiscoveredCamera } from '../../../../hub/api/plugin.js';
import { get, post, put } from '../../api.js';
import { Check, ErrorText, Field, Notice, Select, useAction } from '../../components/form.js';
import { ZoneEditor } from '../../components/zone-editor.js';

type SourceType = 'rtsp' | 'onvif';

export function slugId(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return s || `device-${Date.now().toString(36)}`;
}

function CameraForm(props: { onSaved: (id: string, still: string | null) => void; prefill: DiscoveredCamera | null }) {
  const [name, setName] = useState('Front door');
  const [kind, setKind] = useState<'doorbell' | 'camera'>('doorbell');
  const [type, setType] = useState<SourceType>('rtsp');
  const [mainUrl, setMainUrl] = useState('');
  const [subUrl, setSubUrl] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('80');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [audio, setAudio] = useState(false);
  const [still, setStill] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  useEffect(() => {
    if (!props.prefill) return;
    setType('onvif');
    setHost(props.prefill.address);
    setPort(String(props.prefill.port));
    setName(props.prefill.name || 'Front door');
  }, [props.prefill]);

  const source = () =>
    type === 'rtsp'
      ? // User info typed into a URL is taken out by the hub and kept with the password.
        { type, mainUrl: mainUrl.trim(), subUrl: subUrl.trim() || null, snapshotUrl: null, ...(username ? { username, password } : {}) }
      : { type, host: host.trim(), port: Number(port), username, password };

  const test = () =>
    run(async () => {
      setStill(null);
      const r = await post<{ ok: boolean; via: string; snapshot: string }>('/api/cameras/test', { source: source() });
      setStill(`data:image/jpeg;base64,${r.snapshot}`);
    });
  const save = () =>
    run(async () => {
      const id = slugId(name);
      await put(`/api/devices/cameras/${id}`, { name, kind, source: source(), record: { audio } });
      setSaved(`Saved "${name}".`);
      props.onSaved(id, still);
    });

  return (
    <form
      class="card"
      aria-labelledby="add-cam-h"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 id="add-cam-h">Add a camera</h2>
      <Field label="Name" value={name} onValue={setName} required />
      <Select
        label="Type"
        value={kind}
        onValue={setKind}
        options={[
          ['doorbell', 'Video doorbell'],
          ['camera', 'Other camera'],
        ]}
      />
      <Select
        label="How to reach it"
        value={type}
        onValue={setType}
        options={[
          ['rtsp', 'RTSP address'],
          ['onvif', 'ONVIF (address, user name and password)'],
        ]}
      />
      {type === 'rtsp' ? (
        <>
          <Field
            label="Main stream URL"
            value={mainUrl}
            onValue={setMainUrl}
            required
            placeholder="rtsp://192.168.1.20:554/stream1"
            autoCapitalize="none"
          />
          <Field
            label="Sub stream URL (optional)"
            value={subUrl}
            onValue={setSubUrl}
            autoCapitalize="none"
            hint="A smaller stream for detection, if the camera has one."
          />
          <Field label="Camera user (if not in the URL)" value={username} onValue={setUsername} autoComplete="off" autoCapitalize="none" />
          <Field label="Camera password" type="password" value={password} onValue={setPassword} autoComplete="new-password" />
        </>
      ) : (
        <>
          <Field label="Address" value={host} onValue={setHost} required autoCapitalize="none" />
          <Field label="Port" value={port} onValue={setPort} inputMode="numeric" required />
          <Field label="Camera user name" value={username} onValue={setUsername} autoComplete="off" autoCapitalize="none" />
          <Field label="Camera password" type="password" value={password} onValue={setPassword} autoComplete="new-password" />
        </>
      )}
      <Check
        label="This camera may record sound"
        checked={audio}
        onValue={setAudio}
        hint="Sound is recorded only after the owner also says yes on her Doorbell page, having read what it means."
      />
      <ErrorText error={error} />
      {saved && <Notice>{saved}</Notice>}
      <div class="actions">
        <button type="button" disabled={busy} onClick={test}>
          {busy ? 'Working…' : 'Test: show a still'}
        </button>
        <button type="submit" class="primary" disabled={busy}>
          Save camera
        </button>
      </div>
      {still && <img class="still" src={still} alt="Test still from the camera" data-testid="test-still" />}
    </form>
  );
}

function CameraZones(props: { camera: PublicCameraDevice; still: string | null; onSaved: () => void }) {
  const [zones, setZones] = useState<Zone[]>(props.camera.detect.zones);
  const [saved, setSaved] = useState(false);
  const [stamp] = useState(Date.now());
  const { busy, error, run } = useAction();
  const cam = props.camera;
  return (
    <section class="card" aria-labelledby={`zones-${cam.id}`}>
      <h2 id={`zones-${cam.id}`}>Zones for {cam.name}</h2>
      <p>Person alerts count only inside these zones. With no zones, the whole picture counts.</p>
      {/* The still from the wizard's test when there is one; else a fresh one from the recorder. */}
      <ZoneEditor
        imageUrl={props.still ?? `/api/cameras/${encodeURIComponent(cam.id)}/snapshot?t=${stamp}`}
        zones={zones}
        onChange={setZones}
      />
      <ErrorText error={error} />
      {saved && <Notice>Zones saved.</Notice>}
      <button
        type="button"
        class="primary"
        disabled={busy}
        onClick={() =>
          run(async () => {
            // The hub never sends the password; leaving it out of the save keeps the stored one.
            const { id: _id, source, ...rest } = cam;
            const { hasPassword: _has, ...settings } = source;
            await put(`/api/devices/cameras/${encodeURIComponent(cam.id)}`, {
              ...rest,
              source: settings,
              detect: { ...cam.detect, zones },
            });
            setSaved(true);
            props.onSaved();
          })
        }
      >
        Save zones
      </button>
    </section>
  );
}

export function CameraSetup() {
  const [cameras, setCameras] = useState<PublicCameraDevice[] | null>(null);
  const [found, setFound] = useState<DiscoveredCamera[] | null>(null);
  const [prefill, setPrefill] = useState<DiscoveredCamera | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [stills, setStills] = useState<Record<string, string>>({});
  const discovery = useAction();
  const load = useCallback(() => {
    get<{ cameras: PublicCameraDevice[] }>('/api/devices').then(
      (r) => setCameras(r.cameras),
      (err: unknown) => discovery.setError(String(err)),
    );
  }, [discovery.setError]);
  useEffect(load, []);
  const editingCam = cameras?.find((c) => c.id === editing) ?? null;
  return (
    <>
      <h1 tabIndex={-1}>Cameras</h1>
      <section class="card" aria-labelledby="find-h">
        <h2 id="find-h">Find cameras on this network</h2>
        <button
          type="button"
          disabled={discovery.busy}
          onClick={() =>
            discovery.run(async () => {
              const r = await post<{ cameras: DiscoveredCamera[] }>('/api/cameras/discover', {});
              setFound(r.cameras);
            })
          }
        >
          {discovery.busy ? 'Looking…' : 'Look for ONVIF cameras'}
        </button>
        <ErrorText error={discovery.error} />
        {found && found.length === 0 && <p>No ONVIF camera answered. Add it by its RTSP address below.</p>}
        <ul class="rows">
          {(found ?? []).map((c) => (
            <li key={c.xaddr}>
              <span class="row-title">
                {c.name} <span class="muted">{c.address}</span>
              </span>
              <button type="button" onClick={() => setPrefill(c)}>
                Use this camera
              </button>
            </li>
          ))}
        </ul>
      </section>
      <CameraForm
        onSaved={(id, still) => {
          if (still) setStills((s) => ({ ...s, [id]: still }));
          load();
        }}
        prefill={prefill}
      />
      <section class="card" aria-labelledby="cams-h">
        <h2 id="cams-h">Cameras set up</h2>
        {cameras && cameras.length === 0 && <p class="muted">None yet.</p>}
        <ul class="rows" data-testid="camera-list">
          {(cameras ?? []).map((c) => (
            <li key={c.id}>
              <span class="row-title">{c.name}</span>
              <span class="muted">{c.detect.zones.length} zones</span>
              <button type="button" onClick={() => setEditing(c.id)} aria-label={`Draw zones for ${c.name}`}>
                Draw zones
              </button>
            </li>
          ))}
        </ul>
      </section>
      {editingCam && <CameraZones key={editingCam.id} camera={editingCam} still={stills[editingCam.id] ?? null} onSaved={load} />}
    </>
  );
}
