/**
 * Sign-in, first setup (setup or handover code), accepting an invite, and a forgotten password
 * (the owner's recovery code). Any answer that carries a recovery code shows it once, to be
 * written down, before the next step.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { ErrorText, Field, Notice, Select, useAction } from '../components/form.js';
import { codeFrom, type RecoveryCodeAnswer, RecoveryCodeScreen, type ShownCode } from '../components/recovery-code.js';
import { navigate } from '../router.js';
import type { HubInfo, SignInAnswer } from '../session.js';

/** Said on the screen where the owner makes her account, before any recovery code exists. */
export const LOCKED_WITH_PASSWORD =
  'Your recordings are locked with your password, so only you can open them. Next you get a recovery code to write down: it opens them if you forget your password. ' +
  'If you lose both the password and the recovery code, nobody can ever open your recordings: not you, not the police, not your installer, not the makers of this hub.';

function Go(props: { to: string; children: ComponentChildren }) {
  return (
    <a
      href={props.to}
      onClick={(e) => {
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

export function SignIn(props: { hub: HubInfo | null; notice: string | null; onSignedIn: (s: SignInAnswer) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const mode = props.hub?.mode;
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const s = await post<SignInAnswer>('/api/auth/login', { username, password });
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
          <Go to="/recover">I forgot my password</Go>
        </li>
        <li>
          <Go to="/invite">I have an invite code</Go>
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
  const [shown, setShown] = useState<ShownCode | null>(null);
  const owner = handover || role === 'owner';
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const r = await post<RecoveryCodeAnswer>('/api/setup', { code, displayName, username, password, role: handover ? 'owner' : role });
      setShown(codeFrom(r));
      setDone(true);
      props.onDone();
    });
  };
  if (done && shown) {
    return (
      <main class="narrow">
        <RecoveryCodeScreen
          shown={shown}
          heading="Account created"
          intro="Your account is ready. Before you sign in, write down your recovery code."
          continueLabel="Go to sign in"
          onDone={() => {
            setShown(null);
            navigate('/login');
          }}
        />
      </main>
    );
  }
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
      {owner && (
        <p class="notice" data-testid="locked-with-password">
          {LOCKED_WITH_PASSWORD}
        </p>
      )}
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
  const [shown, setShown] = useState<ShownCode | null>(null);
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const r = await post<RecoveryCodeAnswer>('/api/invites/accept', { code, username, password });
      setShown(codeFrom(r));
      setDone(true);
    });
  };
  if (done && shown) {
    return (
      <main class="narrow">
        <RecoveryCodeScreen
          shown={shown}
          heading="Account created"
          intro="Your account is ready. Before you sign in, write down your recovery code."
          continueLabel="Go to sign in"
          onDone={() => {
            setShown(null);
            navigate('/login');
          }}
        />
      </main>
    );
  }
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

/**
 * A forgotten password: the owner's username, her recovery code and a new password. The hub
 * spends the code, gives a new one (shown once, here) and signs every device out; then she signs
 * in with the new password, which opens her recordings again.
 */
export function RecoverAccount() {
  const [username, setUsername] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [shown, setShown] = useState<ShownCode | null>(null);
  const { busy, error, setError, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    if (password !== again) {
      setError('The two new passwords are not the same. Type them again.');
      return;
    }
    void run(async () => {
      const r = await post<{ recovered: boolean } & RecoveryCodeAnswer>('/api/auth/recover', {
        username: username.trim(),
        recoveryCode: recoveryCode.trim(),
        newPassword: password,
      });
      setPassword('');
      setAgain('');
      setRecoveryCode('');
      setShown(codeFrom(r) ?? { code: '', note: null });
    });
  };
  if (shown) {
    return (
      <main class="narrow">
        {shown.code ? (
          <RecoveryCodeScreen
            shown={shown}
            heading="Password changed"
            intro="Your new password is set, and every device was signed out. The recovery code you used no longer works: this is your new one."
            continueLabel="Go to sign in"
            onDone={() => {
              setShown(null);
              navigate('/login');
            }}
          />
        ) : (
          <>
            <h1 tabIndex={-1}>Password changed</h1>
            <Notice>Your new password is set. Sign in with it.</Notice>
            <button type="button" class="primary" onClick={() => navigate('/login')}>
              Go to sign in
            </button>
          </>
        )}
      </main>
    );
  }
  return (
    <main class="narrow">
      <h1 tabIndex={-1}>Forgot your password?</h1>
      <p>
        Type the recovery code you wrote down when you made your account, and choose a new password. Every phone or computer signed in as
        you is signed out.
      </p>
      <form onSubmit={submit} aria-label="Forgot your password">
        <Field label="Username" value={username} onValue={setUsername} autoComplete="username" required autoCapitalize="none" />
        <Field
          label="Recovery code"
          value={recoveryCode}
          onValue={setRecoveryCode}
          autoComplete="off"
          autoCapitalize="characters"
          spellcheck={false}
          required
          hint="Five groups of four letters and digits. Dashes and spaces do not matter."
        />
        <Field
          label="New password"
          type="password"
          value={password}
          onValue={setPassword}
          autoComplete="new-password"
          required
          hint="At least 10 characters."
        />
        <Field label="New password again" type="password" value={again} onValue={setAgain} autoComplete="new-password" required />
        <ErrorText error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Set the new password'}
        </button>
      </form>
      <p class="muted">Without your recovery code a new password cannot open your recordings: that is what keeps them yours.</p>
      <p>
        <Go to="/login">Back to sign in</Go>
      </p>
    </main>
  );
}

/** Fetch the hub's public info (mode, home name). */
export function loadHubInfo(): Promise<HubInfo> {
  return get<HubInfo>('/api');
}
