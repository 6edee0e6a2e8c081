/** The app shell: session, sign-in, role guard, navigation, quick exit, locked footage, a recovery code to write down. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, onSessionEnded, post, setCsrfToken } from './api.js';
import { PanicButton } from './components/panic-button.js';
import { codeFrom, RecoveryCodeScreen, showRecoveryCode, usePendingRecoveryCode } from './components/recovery-code.js';
import { appIdentity, IDENTITY_CHANGED, setProductName } from './discreet.js';
import { setFootageLocked } from './footage-lock.js';
import { liveFeed } from './live.js';
import { AcceptInvite, FirstSetup, loadHubInfo, RecoverAccount, SignIn } from './pages/sign-in.js';
import { homePath, isOtherRolesPage, PAGES } from './pages.js';
import { quickExit } from './quick-exit.js';
import { navigate, useRoute } from './router.js';
import { type AppSession, EXPIRED_NOTICE, type HubInfo } from './session.js';

/**
 * Ask the hub again whether it can open this account's footage: when the live feed comes back
 * (the hub may have restarted and forgotten the key) and when the app comes back on screen.
 */
function refreshFootageLock(): void {
  get<AppSession>('/api/session').then(
    (s) => setFootageLocked(s.footageUnlocked === false),
    (err: unknown) => console.warn('could not ask whether footage is unlocked', err),
  );
}

export function App() {
  const path = useRoute();
  const [hub, setHub] = useState<HubInfo | null>(null);
  const [session, setSession] = useState<AppSession | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [brand, setBrand] = useState(appIdentity().name);
  const recoveryCode = usePendingRecoveryCode();
  useEffect(() => {
    const update = () => setBrand(appIdentity().name);
    window.addEventListener(IDENTITY_CHANGED, update);
    return () => window.removeEventListener(IDENTITY_CHANGED, update);
  }, []);

  const signedOut = useCallback((message: string | null) => {
    liveFeed.stop();
    setCsrfToken(null);
    setFootageLocked(false);
    showRecoveryCode(null);
    setSession(null);
    setNotice(message);
    navigate('/login');
    loadHubInfo().then(setHub, (err: unknown) => console.warn('could not read hub info', err));
  }, []);

  useEffect(() => {
    onSessionEnded(() => signedOut(EXPIRED_NOTICE));
    loadHubInfo().then(setHub, (err: unknown) => console.warn('could not read hub info', err));
    get<AppSession>('/api/session').then(
      (s) => setSession(s),
      () => setSession(null),
    );
  }, [signedOut]);

  useEffect(() => {
    if (!session) {
      setProductName(null);
      return undefined;
    }
    loadHubInfo().then(
      (info) => {
        setProductName(info.name ?? null);
      },
      (err: unknown) => console.warn('could not read hub info', err),
    );
    setCsrfToken(session.csrfToken);
    setFootageLocked(session.footageUnlocked === false);
    liveFeed.start(() => signedOut(EXPIRED_NOTICE));
    let seenOpen = false;
    const offStatus = liveFeed.onStatus((s) => {
      // The first open is this sign-in; a later one is the feed coming back, maybe from a restarted hub.
      if (s !== 'open') return;
      if (seenOpen) refreshFootageLock();
      seenOpen = true;
    });
    const onVisible = () => {
      if (document.visibilityState === 'visible') refreshFootageLock();
    };
    document.addEventListener('visibilitychange', onVisible);
    // Sign out on the dot when the session expires, rather than at the next failed call.
    const ms = Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(() => signedOut(EXPIRED_NOTICE), Math.max(ms, 0));
    return () => {
      clearTimeout(timer);
      offStatus();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [session, signedOut]);

  if (session === undefined) {
    return (
      <main class="narrow">
        <p role="status">Loading…</p>
      </main>
    );
  }

  if (!session) {
    if (path === '/setup') return <FirstSetup hub={hub} onDone={() => loadHubInfo().then(setHub, (err: unknown) => console.warn(err))} />;
    if (path === '/invite') return <AcceptInvite />;
    if (path === '/recover') return <RecoverAccount />;
    if (path !== '/login') navigate('/login');
    return (
      <SignIn
        hub={hub}
        notice={notice}
        onSignedIn={(answer) => {
          setNotice(null);
          // An owner's first sign-in since footage was locked to her key: her recovery code, once
          // (shown by the shell, and not kept with the session).
          const { recoveryCode: _code, recoveryNote: _note, ...s } = answer;
          showRecoveryCode(codeFrom(answer));
          setSession(s);
          navigate(homePath(s.user.role));
        }}
      />
    );
  }

  const role = session.user.role;
  const pages = PAGES[role];
  const page = pages.find((p) => p.path === path);
  const refused = !page && isOtherRolesPage(role, path);
  if (!page && !refused) navigate(homePath(role));
  const Page = page?.component;

  const signOut = () => {
    post('/api/auth/logout').then(
      () => signedOut('You are signed out.'),
      (err: unknown) => {
        console.warn('sign-out failed', err);
        signedOut('You are signed out on this device.');
      },
    );
  };

  const isOwner = role === 'owner';
  const navItems = isOwner ? pages.filter((p) => p.bottom) : pages;
  const current = isOwner && !page?.bottom && path !== '/more' && page ? '/more' : path;
  const links = navItems.map((p) => (
    <li key={p.path}>
      <a
        href={p.path}
        aria-current={p.path === current ? 'page' : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate(p.path);
        }}
      >
        {p.label}
      </a>
    </li>
  ));

  return (
    <div class={`shell${isOwner ? ' with-dock' : ''}`}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">{brand}</span>
        <span class="top-actions">
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
          <button type="button" class="exit" onClick={quickExit} aria-label="Quick exit: leave this app now (or press Escape)">
            Exit
          </button>
        </span>
      </header>
      {!isOwner && (
        <nav aria-label="Pages">
          <ul>{links}</ul>
        </nav>
      )}
      <main id="main">
        {recoveryCode ? (
          <RecoveryCodeScreen shown={recoveryCode} onDone={() => showRecoveryCode(null)} />
        ) : Page ? (
          <Page />
        ) : refused ? (
          <>
            <h1 tabIndex={-1}>Not available</h1>
            <p role="alert" data-testid="refused">
              This page is not available for your account.
            </p>
            <button type="button" class="primary" onClick={() => navigate(homePath(role))}>
              Go to your start page
            </button>
          </>
        ) : null}
      </main>
      {isOwner && (
        // Help and the pages sit at the bottom of every owner page, where a thumb reaches.
        <div class="dock" data-testid="dock">
          <PanicButton compact />
          <nav aria-label="Pages" class="bottom-nav">
            <ul>{links}</ul>
          </nav>
        </div>
      )}
    </div>
  );
}
