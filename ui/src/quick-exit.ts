/**
 * Quick exit: the Escape key or the visible button. The app's DOM is wiped first so nothing of it
 * stays on screen even for a frame, the session is ended in the background (a keepalive request
 * outlives the page), and the page is replaced (not pushed) by a neutral recipe page, so Back does
 * not return to the app.
 */
import { render } from 'preact';
import { getCsrfToken } from './api.js';
import { clearNotifications } from './push.js';

export const NEUTRAL_PAGE = '/recipes.html';

export function quickExit(): void {
  const root = document.getElementById('app');
  if (root) render(null, root);
  clearNotifications();
  document.body.replaceChildren();
  document.body.style.background = '#fff';
  document.title = 'Easy lentil soup';
  for (const link of document.querySelectorAll('link[rel~="icon"], link[rel="manifest"]')) link.remove();
  const csrf = getCsrfToken();
  if (csrf) {
    fetch('/api/auth/logout', {
      method: 'POST',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: '{}',
    }).then(
      () => undefined,
      (err: unknown) => console.warn('quick exit: sign-out request failed', err),
    );
  }
  sessionStorage.clear();
  location.replace(NEUTRAL_PAGE);
}

export function installQuickExitKey(): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      quickExit();
    }
  };
  window.addEventListener('keydown', onKey, true);
  return () => window.removeEventListener('keydown', onKey, true);
}
