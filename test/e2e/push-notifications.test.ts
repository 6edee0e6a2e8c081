/**
 * Notifications in real Chromium: the signed-in app links the branded install manifest and
 * registers its service worker; the hub's Web Push request (encrypted, VAPID-signed) reaches the
 * loopback RFC 8030 push service, which decrypts it with the subscription's private key; the
 * decrypted message is delivered to the service worker through the DevTools protocol
 * (`ServiceWorker.deliverPushMessage`), as Chromium's own push service would; the service worker
 * shows the notification; a click opens the page it points to; and "Send to police" from an
 * "ask me first" notification reaches the ARC.
 *
 * What differs from a phone, exactly:
 * - Chromium's push service (FCM) is out of reach here, so `pushManager.subscribe()` cannot
 *   succeed: the subscription is made by the test's push service (key pair and auth secret as a
 *   browser makes them) and registered with the hub through the same API the Settings page uses,
 *   and `pushManager.getSubscription()` inside the service worker is made to return that
 *   subscription's endpoint.
 * - Headless Chromium has no notification centre to click: the click is a `notificationclick`
 *   event dispatched in the service worker for the notification it really showed (read back with
 *   `registration.getNotifications()`), with the action button's id. Such an event is not
 *   "trusted", so the service worker cannot call `clients.openWindow`; it moves the app's open
 *   window instead (`WindowClient.navigate`), which is what the test observes.
 */
import type { Browser, BrowserContext, CDPSession, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, signIn } from '../helpers/browser.js';
import { Dc09TestReceiver } from '../helpers/dc09-receiver.js';
import type { TestHub } from '../helpers/hub.js';
import { type BrowserSubscription, PushServiceTestPeer } from '../helpers/push-service.js';
import { notificationsOn, startPushHub, subscribeDevice } from '../hub/push/push-hub.js';

/** The bits of the service worker's global scope these tests touch (the DOM lib has no worker types). */
interface SwScope {
  registration: ServiceWorkerRegistration;
  dispatchEvent(e: Event): boolean;
}
declare const NotificationEvent: new (type: string, init: { notification: Notification; action: string }) => Event;

interface ShownNotification {
  title: string;
  body: string;
  tag: string;
  data: { url: string; actionToken: string | null };
  actions: Array<{ action: string; title: string }>;
}

describe('e2e: notifications through the service worker', () => {
  let t: TestHub;
  let peer: PushServiceTestPeer;
  let receiver: Dc09TestReceiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let sw: Worker;
  let owner: ApiClient;
  let sub: BrowserSubscription & { id: string };
  let registrationId = '';
  let activated = false;
  /** What the service worker printed and when Chromium stopped or started it: the failure message of a push not shown. */
  const swLog: string[] = [];

  /** Chromium may stop an idle service worker and start a new one for the next push: follow the newest. */
  async function follow(w: Worker): Promise<void> {
    sw = w;
    swLog.push(`${new Date().toISOString()} service worker started: ${w.url()}`);
    w.on('console', (m) => swLog.push(`${new Date().toISOString()} console.${m.type()}: ${m.text()}`));
    w.on('close', () => swLog.push(`${new Date().toISOString()} service worker stopped`));
    if (sub) await pinSubscription(w, sub.endpoint);
  }

  /** See the header: `getSubscription()` in the worker returns the test push service's subscription. */
  async function pinSubscription(w: Worker, endpoint: string): Promise<void> {
    await w.evaluate((e) => {
      const reg = (self as unknown as SwScope).registration;
      Object.defineProperty(reg.pushManager, 'getSubscription', { value: async () => ({ endpoint: e }), configurable: true });
    }, endpoint);
  }

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    peer = new PushServiceTestPeer();
    await peer.start();
    receiver = new Dc09TestReceiver();
    await receiver.start();
    t = await startPushHub({ peer, receiver, uiDir, alerts: { askTimeoutSeconds: 60 } });
    owner = await ownerClient(t.url, t.setupCode);
    await notificationsOn(owner, peer, { kinds: { intrusion: 'ask' }, channels: { arc: { on: true } } });
    browser = await launchBrowser();
    ({ context, page } = await newDevice(browser));
    await context.grantPermissions(['notifications'], { origin: t.url });
    context.on('serviceworker', (w) => {
      follow(w).catch((err: unknown) => swLog.push(`could not follow the new service worker: ${String(err)}`));
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: Array<{ registrationId: string; scopeURL: string }> }) => {
      const r = e.registrations.find((x) => x.scopeURL === `${t.url}/`);
      if (r) registrationId = r.registrationId;
    });
    cdp.on('ServiceWorker.workerVersionUpdated', (e: { versions: Array<{ registrationId: string; status: string }> }) => {
      if (e.versions.some((v) => v.registrationId === registrationId && v.status === 'activated')) activated = true;
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await peer?.stop();
    await receiver?.stop();
  });

  /** Hands the service worker the first push whose tag matches (the order pushes arrive in is not fixed). */
  async function deliver(tag: (t: string) => boolean): Promise<string> {
    const find = () => peer.for(sub.id).find((r) => tag(String(r.payload.tag ?? '')));
    await peer.waitFor(() => find() !== undefined, 8000);
    const found = find();
    const text = found?.text ?? '';
    // Delivered only to an activated worker (as Chromium's push service would wait for one).
    await expect.poll(() => activated, { timeout: 10_000 }).toBe(true);
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: t.url, registrationId, data: text });
    swLog.push(`${new Date().toISOString()} push delivered to registration ${registrationId}: ${text}`);
    return String(found?.payload.tag ?? '');
  }

  async function shown(tag: string): Promise<ShownNotification> {
    const found = await sw.evaluate(async (wanted) => {
      const self_ = self as unknown as { registration: ServiceWorkerRegistration };
      for (let i = 0; i < 300; i++) {
        const list = await self_.registration.getNotifications({ tag: wanted });
        const n = list[0];
        if (n)
          return {
            title: n.title,
            body: n.body,
            tag: n.tag,
            data: n.data as { url: string; actionToken: string | null },
            actions: [...((n as unknown as { actions?: Array<{ action: string; title: string }> }).actions ?? [])],
          };
        await new Promise((r) => setTimeout(r, 50));
      }
      return (await self_.registration.getNotifications()).map((n) => n.tag);
    }, tag);
    if (Array.isArray(found))
      throw new Error(
        `no notification with tag ${tag} was shown in 15 s; shown: [${found.join(', ')}]; service worker:\n${swLog.join('\n')}`,
      );
    return found;
  }

  /** The user taps the notification (or one of its buttons). */
  async function click(tag: string, action: string): Promise<void> {
    await sw.evaluate(
      async ({ wanted, act }) => {
        const g = self as unknown as SwScope;
        const [n] = await g.registration.getNotifications({ tag: wanted });
        if (!n) throw new Error(`no notification with tag ${wanted}`);
        g.dispatchEvent(new NotificationEvent('notificationclick', { notification: n, action: act }));
      },
      { wanted: tag, act: action },
    );
  }

  it('links the branded manifest once signed in and registers the service worker for its scope', async () => {
    const swSeen = context.waitForEvent('serviceworker');
    await signIn(page, t.url, OWNER.username, OWNER.password);
    await swSeen;
    await expect.poll(() => sw !== undefined).toBe(true);
    expect(new URL(sw.url()).pathname).toBe('/sw.js');
    const manifestOf = () => page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="manifest"]')?.href ?? '');
    // The product's name (and so the branded manifest) comes from the hub once signed in.
    await expect.poll(async () => new URL(await manifestOf()).pathname, { timeout: 10_000 }).toBe('/manifest.webmanifest');
    const manifestHref = await manifestOf();
    const manifest = await page.evaluate(async (href) => (await fetch(href)).json(), manifestHref);
    expect(manifest).toMatchObject({ scope: '/', start_url: '/', display: 'standalone' });
    // Until it is active and controls the page, a push has nowhere to go.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => registrationId, { timeout: 10_000 }).not.toBe('');
    // The public sign-in page's manifest names nothing; the worker script names nothing either.
    const swSource = await (await fetch(`${t.url}/sw.js`)).text();
    expect(swSource).not.toMatch(/sanctuary|police|alarm/i);
    expect((await fetch(`${t.url}/manifest.webmanifest`)).status).toBe(404);

    // The subscription (see the header: made by the test's push service, registered like Settings does).
    sub = peer.subscribe();
    await subscribeDevice(owner, sub, false, 'Chromium (test)');
    await pinSubscription(sw, sub.endpoint);
  });

  it('a doorbell push shows its notification, and a tap opens the doorbell page', async () => {
    await page.goto(`${t.url}/home`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    t.hub.bus.emit('camera.doorbell', { source: 'onvif', cameraId: 'front' });
    await deliver((tag) => tag === 'doorbell');
    const n = await shown('doorbell');
    expect(n).toMatchObject({ title: 'Someone rang the doorbell', body: 'front: tap to see who it is', data: { url: '/doorbell' } });
    await click('doorbell', '');
    await page.waitForURL(`${t.url}/doorbell`, { timeout: 10_000 });
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await sw.evaluate(async () => (await (self as unknown as SwScope).registration.getNotifications()).length)).toBe(0);
  });

  it('"Send to police" on an "ask me first" notification reaches the ARC', async () => {
    t.hub.bus.emit('intrusion.confirmed', { source: 'confirmation', how: 'two_detectors', triggers: ['front-door', 'back-window'] });
    const tag = await deliver((tag) => tag.startsWith('ask-'));
    const alertId = tag.slice('ask-'.length);
    const alerts = (await owner.get<{ alerts: Array<{ id: string; status: string }> }>('/api/alerts')).body.alerts;
    expect(alerts.map((a) => a.id)).toContain(alertId);
    const n = await shown(tag);
    expect(n.title).toBe('Tell the police?');
    expect(n.actions.map((a) => [a.action, a.title])).toEqual([
      ['send', 'Send to police'],
      ['dismiss', "Don't send"],
    ]);
    expect(n.data.actionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(receiver.frames).toEqual([]);
    const answered = page.evaluate(
      () =>
        new Promise<{ action: string; status: number }>((resolve) => {
          navigator.serviceWorker.addEventListener('message', (e) => {
            if (e.data?.type === 'push-answer') resolve(e.data as { action: string; status: number });
          });
        }),
    );
    await click(tag, 'send');
    expect(await answered).toEqual({ type: 'push-answer', action: 'send', status: 200 });
    await receiver.waitFor((r) => r.alarms().length === 1, 10_000);
    expect(receiver.alarms()[0]?.code).toBe('BA');
    await expect
      .poll(async () => (await owner.get<{ alerts: Array<{ id: string; status: string }> }>(`/api/alerts/${alertId}`)).body, {
        timeout: 10_000,
      })
      .toMatchObject({ status: 'acknowledged' });
  });
});
