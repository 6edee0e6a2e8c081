/** The app shell: session, sign-in, role guard, navigation, quick exit. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, onSessionEnded, post, setCsrfToken } from './api.js';
import { PanicButton } from './components/panic-button.js';
import { appIdentity, IDENTITY_CHANGED, setProductName } from './discreet.js';
import { liveFeed } from './live.js';
import { AcceptInvite, FirstSetup, loadHubInfo, SignIn } from './pages/sign-in.js';
import { homePath, isOtherRolesPage, PAGES } from './pages.js';
import { quickExit } from './quick-exit.js';
import { navigate, useRoute } from './router.js';
import { type AppSession, EXPIRED_NOTICE, type HubInfo } from './session.js';

export function App() {
  const path = useRoute();
  const [hub, setHub] = useState<HubInfo | null>(null);
  const [session, setSession] = useState<AppSession | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [brand, setBrand] = useState(appIdentity().name);
  useEffect(() => {
    const update = () => setBrand(appIdentity().name);
    window.addEventListener(IDENTITY_CHANGED, update);
    return () => window.removeEventListener(IDENTITY_CHANGED, update);
  }, []);

  const signedOut = useCallback((message: string | null) => {
    liveFeed.stop();
    setCsrfToken(null);
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
    liveFeed.start(() => signedOut(EXPIRED_NOTICE));
    // Sign out on the dot when the session expires, rather than at the next failed call.
    const ms = Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(() => signedOut(EXPIRED_NOTICE), Math.max(ms, 0));
    return () => clearTimeout(timer);
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
    if (path !== '/login') navigate('/login');
    return (
      <SignIn
        hub={hub}
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
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
        {Page ? (
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
