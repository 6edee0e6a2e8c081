/*
 * The app's service worker. It shows the notifications the hub sends (their words come in the
 * encrypted payload, already neutral for a device in discreet mode), opens the page a
 * notification points to, and answers "ask me first" from the notification's buttons, which works
 * from a locked phone: the answer carries the notification's one-time token and this device's push
 * endpoint, never a cookie. This file is public, so it names nothing.
 */
const FALLBACK = { v: 1, title: 'Notes', body: 'You have a new note.', url: '/', tag: 'note', icon: '/icon-notes.svg' };

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

function parse(data) {
  if (!data) return FALLBACK;
  try {
    const p = data.json();
    return p && p.v === 1 && typeof p.title === 'string' ? p : FALLBACK;
  } catch (err) {
    console.warn('notification payload is not JSON', err);
    return FALLBACK;
  }
}

self.addEventListener('push', (event) => {
  const p = parse(event.data);
  const options = {
    body: p.body,
    tag: p.tag,
    icon: p.icon,
    requireInteraction: p.requireInteraction === true,
    data: { url: typeof p.url === 'string' ? p.url : '/', actionToken: p.actionToken || null },
  };
  if (Array.isArray(p.actions)) options.actions = p.actions;
  event.waitUntil(self.registration.showNotification(p.title, options));
});

self.addEventListener('notificationclick', (event) => {
  const done = onNotificationClick(event.notification, event.action);
  // A real click can be extended until the answer is sent; a synthetic one cannot.
  if (event.isTrusted) event.waitUntil(done);
});

/** Quick exit in the app: nothing of it stays on the screen, notifications included. */
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'quick-exit') {
    event.waitUntil(
      self.registration.getNotifications().then((list) => {
        for (const n of list) n.close();
      }),
    );
  }
});

async function tell(message) {
  for (const c of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) c.postMessage(message);
}

async function onNotificationClick(notification, action) {
  notification.close();
  const data = notification.data || {};
  if ((action === 'send' || action === 'dismiss') && data.actionToken) {
    const sub = await self.registration.pushManager.getSubscription();
    let status = 0;
    try {
      const r = await fetch('/api/push/actions', {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: data.actionToken, action, endpoint: sub ? sub.endpoint : '' }),
      });
      status = r.status;
    } catch (err) {
      console.warn('could not send the answer', err);
    }
    await tell({ type: 'push-answer', action, status });
    // Answered: nothing to open on a locked phone. Not answered (expired, offline): open the app.
    if (status === 200) return;
  }
  await openPage(data.url || '/');
}

async function openPage(url) {
  const target = new URL(url, self.location.origin);
  if (target.origin !== self.location.origin) return;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) {
    if (typeof w.navigate === 'function') {
      const moved = await w.navigate(target.href);
      await tell({ type: 'push-opened', url: target.pathname });
      if (moved && typeof moved.focus === 'function') await moved.focus().catch((err) => console.warn('focus refused', err));
      return;
    }
  }
  await tell({ type: 'push-opened', url: target.pathname });
  await self.clients.openWindow(target.href);
}
