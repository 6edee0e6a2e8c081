/** Sign-in, first setup (setup or handover code) and accepting an invite. */
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { ErrorText, Field, Notice, Select, useAction } from '../components/form.js';
import { navigate } from '../router.js';
import type { AppSession, HubInfo } from '../session.js';

export function SignIn(props: { hub: HubInfo | null; notice: string | null; onSignedIn: (s: AppSession) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const mode = props.hub?.mode;
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const s = await post<AppSession>('/api/auth/login', { username, password });
      props.onSignedIn(s);
    });
  };
  return (
    <main class="narrow">
      <h1 tabIndex={-1}>Sign in</h1>
      {props.notice && <Notice>{props.notice}</Notice>}
      <form onSubmit={submit}>
        <Field label="Username" value={username} onValue={setUsername} autoComplete="username" required autoCapitalize="none" />
        <Field label="Password" type="password" value={password} onValue={setPassword} autoComplete="current-password" required />
        <ErrorText error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ul class="links">
        {(mode === 'setup' || mode === 'handover') && (
          <li>
            <a
              href="/setup"
              onClick={(e) => {
                e.preventDefault();
                navigate('/setup');
              }}
            >
              {mode === 'handover' ? 'I have the code from my installer' : 'Set up this hub'}
            </a>
          </li>
        )}
        <li>
          <a
            href="/invite"
            onClick={(e) => {
              e.preventDefault();
              navigate('/invite');
            }}
          >
            I have an invite code
          </a>
        </li>
      </ul>
    </main>
  );
}

export function FirstSetup(props: { hub: HubInfo | null; onDone: () => void }) {
  const handover = props.hub?.mode === 'handover';
  const [code, setCode] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'owner' | 'installer'>(handover ? 'owner' : 'installer');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await post('/api/setup', { code, displayName, username, password, role: handover ? 'owner' : role });
      setDone(true);
      props.onDone();
    });
  };
  if (done) {
    return (
      <main class="narrow">
        <h1 tabIndex={-1}>Account created</h1>
        <Notice>Your account is ready. Sign in with the username and password you chose.</Notice>
        <button type="button" class="primary" onClick={() => navigate('/login')}>
          Go to sign in
        </button>
      </main>
    );
  }
  return (
    <main class="narrow">
      <h1 tabIndex={-1}>{handover ? 'Create your account' : 'Set up this hub'}</h1>
      <p>
        {handover
          ? 'Enter the one-time code your installer gave you, then choose your own username and password. Nobody else will know them.'
          : 'Enter the one-time setup code the hub printed when it started.'}
      </p>
      <form onSubmit={submit}>
        <Field
          label={handover ? 'Code from your installer' : 'Setup code'}
          value={code}
          onValue={setCode}
          required
          autoComplete="off"
          autoCapitalize="characters"
        />
        {!handover && (
          <Select
            label="Who are you?"
            value={role}
            onValue={setRole}
            options={[
              ['installer', 'I am installing this hub for someone'],
              ['owner', 'This hub is for my own home'],
            ]}
          />
        )}
        <Field label="Your name (shown only on this hub)" value={displayName} onValue={setDisplayName} required autoComplete="name" />
        <Field
          label="Username"
          value={username}
          onValue={setUsername}
          required
          autoComplete="username"
          autoCapitalize="none"
          hint="Letters, digits and . _ @ - only."
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onValue={setPassword}
          required
          autoComplete="new-password"
          hint="At least 10 characters."
        />
        <ErrorText error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        <a
          href="/login"
          onClick={(e) => {
            e.preventDefault();
            navigate('/login');
          }}
        >
          Back to sign in
        </a>
      </p>
    </main>
  );
}

export function AcceptInvite() {
  const [code, setCode] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await post('/api/invites/accept', { code, username, password });
      setDone(true);
    });
  };
  return (
    <main class="narrow">
      <h1 tabIndex={-1}>Accept an invite</h1>
      {done ? (
        <>
          <Notice>Your account is ready. Sign in with your new username and password.</Notice>
          <button type="button" class="primary" onClick={() => navigate('/login')}>
            Go to sign in
          </button>
        </>
      ) : (
        <form onSubmit={submit}>
          <Field label="Invite code" value={code} onValue={setCode} required autoComplete="off" autoCapitalize="characters" />
          <Field label="Username" value={username} onValue={setUsername} required autoComplete="username" autoCapitalize="none" />
          <Field
            label="Password"
            type="password"
            value={password}
            onValue={setPassword}
            required
            autoComplete="new-password"
            hint="At least 10 characters."
          />
          <ErrorText error={error} />
          <button type="submit" class="primary" disabled={busy}>
            Create account
          </button>
          <p>
            <a
              href="/login"
              onClick={(e) => {
                e.preventDefault();
                navigate('/login');
              }}
            >
              Back to sign in
            </a>
          </p>
        </form>
      )}
    </main>
  );
}

/** Fetch the hub's public info (mode, home name). */
export function loadHubInfo(): Promise<HubInfo> {
  return get<HubInfo>('/api');
}
