/**
 * Account and security: change your password (signs every other device out), a new recovery code
 * (the old one stops working; shown once by the app shell), the devices signed
 * in to this hub (browser sessions and API tokens) with sign-out for each, who else has access
 * (turn off, renew, remove), and this hub's certificate for a phone.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Role } from '../../../../hub/api/roles.js';
import { ApiError, del, get, post } from '../../api.js';
import { ErrorText, Field, formatTime, Notice, useAction } from '../../components/form.js';
import { HubCertificate } from '../../components/hub-certificate.js';
import { codeFrom, type RecoveryCodeAnswer, showRecoveryCode } from '../../components/recovery-code.js';
import { setFootageLocked } from '../../footage-lock.js';

interface SessionRow {
  id: string;
  username: string;
  device: string;
  address: string;
  lastUsedAt: number;
  current: boolean;
}
interface TokenRow {
  id: string;
  name: string;
  lastUsedAt: number | null;
  lastAddress: string;
  expiresAt: number | null;
}
interface Account {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  removed: boolean;
  expiresAt: number | null;
}

const ROLE_WORDS: Record<Role, string> = { owner: 'You', installer: 'Installer', police: 'Police officer', advocate: 'Advocate' };

/** A short device name from a User-Agent string. */
function deviceName(ua: string): string {
  if (!ua) return 'Unknown device';
  const os = /Android|iPhone|iPad|Windows|Mac OS X|Linux/.exec(ua)?.[0] ?? '';
  const browser = /Firefox|Edg|Chrome|Safari/.exec(ua)?.[0] ?? '';
  return [browser, os].filter(Boolean).join(' on ') || ua.slice(0, 40);
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  return (
    <form
      class="card"
      aria-labelledby="pw-h"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          await post('/api/account/password', { currentPassword: current, newPassword: next });
          setCurrent('');
          setNext('');
          setDone(true);
        });
      }}
    >
      <h2 id="pw-h">Change your password</h2>
      <p>Every other phone or computer signed in as you is signed out.</p>
      <Field label="Current password" type="password" autoComplete="current-password" value={current} onValue={setCurrent} required />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        value={next}
        onValue={setNext}
        required
        hint="At least 10 characters."
      />
      <ErrorText error={error} />
      {done && <Notice>Password changed. Other devices are signed out.</Notice>}
      <button type="submit" class="primary" disabled={busy}>
        Change password
      </button>
    </form>
  );
}

function NewRecoveryCode() {
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  return (
    <form
      class="card"
      aria-labelledby="recovery-h"
      data-testid="new-recovery-code"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const make = () => post<RecoveryCodeAnswer>('/api/auth/recovery-code', { password });
          let r: RecoveryCodeAnswer;
          try {
            r = await make();
          } catch (err) {
            // The code wraps her key, which the hub forgot at a restart: the same password unlocks it first.
            if (!(err instanceof ApiError && err.code === 'HUB_ERR_LOCKED')) throw err;
            await post('/api/auth/unlock', { password });
            setFootageLocked(false);
            r = await make();
          }
          setPassword('');
          showRecoveryCode(codeFrom(r));
        });
      }}
    >
      <h2 id="recovery-h">Recovery code</h2>
      <p>
        If you forget your password, your recovery code is the only way to open your recordings. Lost it, or think someone else has seen it?
        Make a new one: the old one stops working.
      </p>
      <Field label="Your password" type="password" autoComplete="current-password" value={password} onValue={setPassword} required />
      <ErrorText error={error} />
      <button type="submit" class="primary" disabled={busy}>
        Make a new recovery code
      </button>
    </form>
  );
}

function SignedInDevices() {
  const [data, setData] = useState<{ sessions: SessionRow[]; tokens: TokenRow[] } | null>(null);
  const { error, run } = useAction();
  const load = useCallback(() => {
    void run(async () => setData(await get<{ sessions: SessionRow[]; tokens: TokenRow[] }>('/api/account/devices')));
  }, []);
  useEffect(load, [load]);
  return (
    <section class="card" aria-labelledby="devices-h">
      <h2 id="devices-h">Signed-in devices</h2>
      <ErrorText error={error} />
      <ul class="rows" data-testid="sessions">
        {(data?.sessions ?? []).map((s) => (
          <li key={s.id} data-testid="session-row">
            <span class="row-title">
              {deviceName(s.device)}
              {s.current ? ' (this device)' : ''}
            </span>
            <span class="muted">
              {s.username} · {s.address || 'unknown address'} · last used {formatTime(s.lastUsedAt)}
            </span>
            {!s.current && (
              <button type="button" onClick={() => run(async () => del(`/api/account/sessions/${s.id}`).then(load))}>
                Sign out
              </button>
            )}
          </li>
        ))}
        {(data?.tokens ?? []).map((t) => (
          <li key={t.id} data-testid="token-row">
            <span class="row-title">{t.name} (app token)</span>
            <span class="muted">
              last used {formatTime(t.lastUsedAt)}
              {t.lastAddress ? ` from ${t.lastAddress}` : ''} · expires {formatTime(t.expiresAt)}
            </span>
            <button type="button" onClick={() => run(async () => del(`/api/account/tokens/${t.id}`).then(load))}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Access() {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const { error, run } = useAction();
  const load = useCallback(() => {
    void run(async () => setAccounts((await get<{ users: Account[] }>('/api/users')).users));
  }, []);
  useEffect(load, [load]);
  const act = (fn: () => Promise<unknown>) => run(async () => fn().then(load));
  return (
    <section class="card" aria-labelledby="access-h">
      <h2 id="access-h">Who else has access</h2>
      <p>You can turn off or remove anyone's access at any time. Installer and police accounts end by themselves unless you renew them.</p>
      <ErrorText error={error} />
      <ul class="rows">
        {(accounts ?? [])
          .filter((a) => a.role !== 'owner' && !a.removed)
          .map((a) => (
            <li key={a.id} data-testid={`account-${a.username}`}>
              <span class="row-title">
                {a.displayName} ({ROLE_WORDS[a.role]})
              </span>
              <span class="muted">
                {a.disabled ? 'turned off' : a.expiresAt ? `until ${new Date(a.expiresAt).toLocaleDateString('en-GB')}` : 'no end date'}
              </span>
              <button type="button" onClick={() => act(() => post(`/api/users/${a.id}/${a.disabled ? 'enable' : 'disable'}`))}>
                {a.disabled ? 'Turn on' : 'Turn off'}
              </button>
              {a.expiresAt !== null && (
                <button type="button" onClick={() => act(() => post(`/api/users/${a.id}/renew`, { days: 30 }))}>
                  Renew 30 days
                </button>
              )}
              <button type="button" class="danger" onClick={() => act(() => del(`/api/users/${a.id}`))}>
                Remove
              </button>
            </li>
          ))}
      </ul>
    </section>
  );
}

export function SecurityPage() {
  return (
    <>
      <h1 tabIndex={-1}>Account and security</h1>
      <ChangePassword />
      <NewRecoveryCode />
      <SignedInDevices />
      <Access />
      <HubCertificate />
    </>
  );
}
