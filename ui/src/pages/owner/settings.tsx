/** The victim's settings: discreet mode, alarm PINs, and who else may use the hub. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Role } from '../../../../hub/api/roles.js';
import { get, messageOf, post, put } from '../../api.js';
import { Check, ErrorText, Field, Notice, Select, useAction } from '../../components/form.js';
import { NotificationsCard } from '../../components/notifications-card.js';
import { discreetName, isDiscreet, setDiscreet, setDiscreetName } from '../../discreet.js';
import { pushDiscreetChanged } from '../../push.js';
import { BackupCard } from './backup-card.js';

interface UserRow {
  id: string;
  username: string;
  role: Role;
  displayName: string;
  disabled: boolean;
}

const ROLE_WORDS: Record<Role, string> = { owner: 'You', installer: 'Installer', police: 'Police officer', advocate: 'Advocate' };

function Pins() {
  const [pin, setPin] = useState('');
  const [duressPin, setDuressPin] = useState('');
  const [proof, setProof] = useState('');
  const [pinSet, setPinSet] = useState(false);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  useEffect(() => {
    get<{ pinSet: boolean }>('/api/alarm/settings').then(
      (r) => setPinSet(r.pinSet),
      (err: unknown) => console.warn('alarm settings', messageOf(err)),
    );
  }, [saved]);
  return (
    <form
      class="card"
      aria-labelledby="pins-h"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          // Changing PINs that are set needs the current PIN, or the account password instead.
          const check = !pinSet ? {} : /^\d{4,8}$/.test(proof) ? { currentPin: proof } : { password: proof };
          await put('/api/alarm/pins', { pin, duressPin, ...check });
          setPin('');
          setDuressPin('');
          setProof('');
          setSaved(true);
        });
      }}
    >
      <h2 id="pins-h">Alarm PINs</h2>
      <p data-testid="pins-state">
        <strong>{pinSet ? 'Your PINs are set.' : 'No PIN is set yet: the alarm cannot be turned on until you choose one.'}</strong>
      </p>
      <p>
        The second PIN turns the alarm off like the first, and shows the same screen, but quietly asks for help if you allowed that in "What
        police are told". Use it if someone makes you turn the alarm off.
      </p>
      {pinSet && (
        <Field
          label="Current PIN (or your password)"
          type="password"
          autoComplete="off"
          value={proof}
          onValue={setProof}
          required
          hint="Needed to change PINs that are already set."
        />
      )}
      <Field
        label="PIN"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        value={pin}
        onValue={setPin}
        required
        hint="4 to 8 digits (what the hub accepts)."
      />
      <Field
        label="Second (safety) PIN"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        value={duressPin}
        onValue={setDuressPin}
        required
        hint="4 to 8 digits, not the same as your PIN."
      />
      <ErrorText error={error} />
      {saved && <Notice>PINs saved.</Notice>}
      <button type="submit" class="primary" disabled={busy}>
        Save PINs
      </button>
    </form>
  );
}

/** Silent (the default) or loud: a loud help request sounds the siren and shows on the screen. */
function LoudPanic() {
  const [loud, setLoud] = useState<boolean | null>(null);
  const { busy, error, run } = useAction();
  useEffect(() => {
    get<{ loudPanic: boolean }>('/api/alarm/settings').then(
      (r) => setLoud(r.loudPanic),
      (err: unknown) => console.warn('alarm settings', messageOf(err)),
    );
  }, []);
  if (loud === null) return null;
  return (
    <section class="card" aria-labelledby="loud-h">
      <h2 id="loud-h">When you hold the help button</h2>
      <Check
        label="Sound the siren too (a loud help request)"
        hint={
          loud
            ? 'Now: loud. The siren sounds and the alarm shows on the screen.'
            : 'Now: silent. Nothing sounds and nothing shows on this phone; it is sent only as you chose in "What police are told".'
        }
        checked={loud}
        onValue={(v) => {
          if (busy) return;
          void run(async () => {
            const r = await put<{ loudPanic: boolean }>('/api/alarm/settings', { loudPanic: v });
            setLoud(r.loudPanic);
          });
        }}
      />
      <ErrorText error={error} />
    </section>
  );
}

function People() {
  const [users, setUsers] = useState<UserRow[] | null>(null);
  const [role, setRole] = useState<'police' | 'advocate'>('advocate');
  const [name, setName] = useState('');
  const [code, setCode] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const load = useCallback(() => {
    get<{ users: UserRow[] }>('/api/users').then(
      (r) => setUsers(r.users),
      (err: unknown) => console.warn('users', messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);
  return (
    <section class="card" aria-labelledby="people-h">
      <h2 id="people-h">People who can use this hub</h2>
      <ul class="rows">
        {(users ?? []).map((u) => (
          <li key={u.id}>
            <span class="row-title">{u.displayName}</span>
            <span class="muted">
              {ROLE_WORDS[u.role]}
              {u.disabled ? ' · no longer has access' : ''}
            </span>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const r = await post<{ code: string }>('/api/invites', { role, displayName: name });
            setCode(r.code);
            setName('');
            load();
          });
        }}
      >
        <h3>Invite someone</h3>
        <Select
          label="Their role"
          value={role}
          onValue={setRole}
          options={[
            ['advocate', 'Advocate (sees only the incident logs you share)'],
            ['police', 'Police officer (can ask you for footage)'],
          ]}
        />
        <Field label="Their name" value={name} onValue={setName} required />
        <ErrorText error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Make an invite code
        </button>
        {code && (
          <Notice>
            Give them this one-time code: <strong data-testid="invite-code">{code}</strong>
          </Notice>
        )}
      </form>
    </section>
  );
}

export function SettingsPage() {
  const [discreet, setDiscreetState] = useState(isDiscreet());
  const [neutralName, setNeutralName] = useState(discreetName());
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <section class="card" aria-labelledby="discreet-h">
        <h2 id="discreet-h">Discreet mode</h2>
        <Check
          label='Call this app "Notes" on this phone'
          hint="(the name below, plain words on every page, a notebook icon)"
          checked={discreet}
          onValue={(v) => {
            setDiscreet(v);
            setDiscreetState(v);
            pushDiscreetChanged(v);
          }}
        />
        <Field
          label="Name in discreet mode"
          value={neutralName}
          autoComplete="off"
          onValue={(v) => {
            setNeutralName(v);
            setDiscreetName(v);
          }}
          hint='What the tab, the header and the home screen say ("Notes" if left empty).'
        />
        <p class="hint">Press Escape, or the Exit button at the top, to leave at once. The page is replaced by a recipe.</p>
      </section>
      <NotificationsCard />
      <Pins />
      <LoudPanic />
      <People />
      <BackupCard />
    </>
  );
}
