/**
 * The owner's app on a phone, one thumb, at 360x740 and 390x844, against a real hub, a real RTSP
 * doorbell, the real recorder and Zigbee2MQTT sensors over a real broker:
 * - help is visible without scrolling on every owner page and is held with a touch (touch events);
 * - no page scrolls sideways; a screenshot of every owner page at 390x844;
 * - a doorbell press shows on home and on the doorbell page, and stays;
 * - a visit row plays its clip;
 * - a triggered alarm offers: call 999, tell the police now (with alarms kept at home, it asks on
 *   the spot and sends that alarm once to the DC-09 receiver), silence the siren (alarm stays on);
 * - discreet mode leaves none of "alarm", "police", "panic", "help", "Sanctuary" on any page,
 *   the header included, and says the name the owner picked at once.
 * The doorbell's button is hardware: its press is put on the bus as the ONVIF plugin would.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../app/plugins.js';
import { SimRtspServer } from '../../hub/sim/rtsp-server.js';
import { ZigbeeSim } from '../../hub/sim/zigbee-sensors.js';
import { PAGES } from '../../ui/src/pages.js';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, PHONE, SCREENSHOT_DIR, SMALL_PHONE, signIn } from '../helpers/browser.js';
import { Dc09TestReceiver } from '../helpers/dc09-receiver.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

const DOORBELL_CLIP = fileURLToPath(new URL('../fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));
const PIN = '2468';
const DURESS_PIN = '1357';
const FORBIDDEN = /alarm|police|panic|help|sanctuary/i;

/** Open a page by its path (in discreet mode the labels are neutral words). */
async function openPath(page: Page, path: string): Promise<void> {
  const direct = page.locator(`nav a[href="${path}"]`);
  if ((await direct.count()) === 0) {
    await page.locator('nav a[href="/more"]').click();
    await page.locator(`[data-testid="more-pages"] a[href="${path}"]`).click();
  } else await direct.click();
  await page.waitForURL(new RegExp(`${path}$`));
}

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(400);
}

/** Hold a point with a real touch (touchstart ... touchend), as a thumb does. */
async function touchHold(page: Page, selector: string, ms: number): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} has no box`);
  const cdp = await page.context().newCDPSession(page);
  const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
  await page.waitForTimeout(ms);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

describe('e2e: the owner app with one thumb on a phone', () => {
  let hub: TestHub;
  let camera: SimRtspServer;
  let sim: ZigbeeSim;
  let browser: Browser;
  let owner: ApiClient;
  let arc: Dc09TestReceiver;

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    arc = new Dc09TestReceiver();
    await arc.start();
    camera = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell' });
    await camera.start();
    hub = await startTestHub({
      uiDir,
      plugins: builtinPlugins().filter((p) => p.id !== 'person-detector'),
      config: {
        home: { name: 'Test home', address: '1 Example Street, Exampletown' },
        alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0 },
        alerts: { retryInitialMs: 100, retryMaxSeconds: 1 },
        plugins: {
          'sia-dc09': { enabled: true, host: '127.0.0.1', port: arc.port, account: '1234AB', ackTimeoutMs: 400, linkTestSeconds: 0 },
        },
        recorder: { segmentSeconds: 2, offlineAfterSeconds: 5, minFreeBytes: 0 },
        cameras: [
          {
            id: 'front-door',
            name: 'Front door',
            kind: 'doorbell',
            source: { type: 'rtsp', mainUrl: camera.url, subUrl: null, snapshotUrl: null },
            detect: { enabled: false },
            record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false },
          },
        ],
        sensors: [
          {
            id: 'kitchen-window',
            name: 'Kitchen window',
            location: 'Kitchen',
            kind: 'window',
            entryRoute: false,
            source: { type: 'zigbee2mqtt', friendlyName: 'kitchen_window' },
            checkInSeconds: 600,
          },
          {
            id: 'hall-door',
            name: 'Hall door',
            location: 'Hall',
            kind: 'door',
            entryRoute: false,
            source: { type: 'zigbee2mqtt', friendlyName: 'hall_door' },
            checkInSeconds: 600,
          },
        ],
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    expect((await owner.put('/api/alarm/pins', { pin: PIN, duressPin: DURESS_PIN })).status).toBe(204);
    sim = new ZigbeeSim(hub.mqttUrl);
    await sim.start();
    const seen = hub.hub.bus.next('sensor.seen', (e) => e.sensorId === 'kitchen-window');
    const hallSeen = hub.hub.bus.next('sensor.seen', (e) => e.sensorId === 'hall-door');
    await sim.close('kitchen_window');
    await sim.close('hall_door');
    await seen;
    await hallSeen;
    browser = await launchBrowser();
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
    await hub?.close();
    await arc?.stop();
    await camera?.stop();
  });

  for (const size of [SMALL_PHONE, PHONE]) {
    it(`${size.width}x${size.height}: help is in reach on every page, held with a touch; nothing scrolls sideways`, async () => {
      const { context, page } = await newDevice(browser, size, { touch: true });
      page.setDefaultTimeout(15_000);
      await signIn(page, hub.url, OWNER.username, OWNER.password);
      for (const p of PAGES.owner) {
        await openPage(page, p.label);
        await page.waitForURL(`${hub.url}${p.path}`);
        await settle(page);
        const help = page.getByTestId('panic');
        expect(await help.isVisible(), `help visible on ${p.path}`).toBe(true);
        const box = await help.boundingBox();
        expect(box, p.path).not.toBeNull();
        // Inside the screen without scrolling, in the lower part where the thumb is.
        expect((box?.y ?? 0) + (box?.height ?? 0), `help within the screen on ${p.path}`).toBeLessThanOrEqual(size.height);
        expect(box?.y ?? 0, `help at the bottom on ${p.path}`).toBeGreaterThan(size.height / 2);
        const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(sideways, `horizontal overflow on ${p.path}`).toBeLessThanOrEqual(0);
        // Every destination of the bottom navigation is on screen (at most five of them).
        const nav = page.getByRole('navigation').getByRole('link');
        expect(await nav.count()).toBeLessThanOrEqual(5);
        for (const link of await nav.all()) {
          const b = await link.boundingBox();
          expect((b?.x ?? -1) >= 0 && (b?.x ?? 0) + (b?.width ?? 0) <= size.width, `${await link.textContent()} on screen`).toBe(true);
        }
        if (size === PHONE)
          await page.screenshot({ path: join(SCREENSHOT_DIR, `phone-owner${p.path.replace(/\//g, '-')}.png`), animations: 'disabled' });
      }

      // Held with a thumb on a page other than home: it sends (silently) and looks untouched again.
      await openPage(page, 'Timeline');
      const panics = hub.hub.bus.next('panic');
      await touchHold(page, '[data-testid="panic"]', 2400);
      const sent = await panics;
      expect(sent.origin).toBe('api');
      await expect.poll(() => page.getByTestId('panic').getAttribute('data-phase'), { timeout: 8000 }).toBe('idle');
      // A short touch sends nothing.
      let early = false;
      const off = hub.hub.bus.on('panic', 'test', () => {
        early = true;
      });
      await touchHold(page, '[data-testid="panic"]', 500);
      await page.waitForTimeout(2500);
      off();
      expect(early).toBe(false);
      expect(await page.getByTestId('panic').getAttribute('data-phase')).toBe('idle');
      await context.close();
    }, 120_000);
  }

  it('a doorbell press shows on home and on the doorbell page and stays; the visit row plays its clip', async () => {
    await expect
      .poll(
        async () => (await owner.get<{ cameras: Array<{ status: { online: boolean } }> }>('/api/cameras')).body.cameras[0]?.status.online,
        { timeout: 20_000 },
      )
      .toBe(true);
    // The recorder needs a few segments of pre-roll.
    await new Promise((r) => setTimeout(r, 4000));
    const { context, page } = await newDevice(browser, PHONE, { touch: true });
    page.setDefaultTimeout(15_000);
    await signIn(page, hub.url, OWNER.username, OWNER.password);
    await page.getByTestId('alarm-state').waitFor();
    const clipSaved = hub.hub.bus.next('clip.saved', (e) => e.trigger === 'doorbell');
    hub.hub.bus.emit('camera.doorbell', { source: 'onvif-camera', cameraId: 'front-door' });
    const rang = page.getByTestId('doorbell-rang');
    await rang.waitFor();
    expect(await rang.textContent()).toContain('Someone rang the doorbell');
    // A person seen afterwards does not push the press away.
    hub.hub.bus.emit('person.detected', {
      source: 'person-detector',
      cameraId: 'front-door',
      trackId: 't1',
      score: 0.9,
      box: { x1: 0.4, y1: 0.2, x2: 0.6, y2: 0.8 },
      zones: [],
      snapshot: null,
    });
    await page.waitForTimeout(1500);
    expect(await rang.textContent()).toContain('Someone rang the doorbell');
    await openPage(page, 'Doorbell');
    await page.getByTestId('doorbell-rang').waitFor();
    await page.waitForTimeout(1000);
    expect(await page.getByTestId('doorbell-rang').isVisible()).toBe(true);
    await page.reload();
    await page.getByTestId('doorbell-rang').waitFor();

    const clip = await clipSaved;
    await openPage(page, 'Timeline');
    const row = page.locator(`[data-testid="visit"]`).filter({ hasText: 'Doorbell rang' }).first();
    await row.getByRole('button', { name: 'Play clip' }).waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toMatch(/someone at the door/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'phone-owner-visit.png'), animations: 'disabled' });
    await row.getByRole('button', { name: 'Play clip' }).click();
    const video = row.getByTestId('clip-video');
    expect(await video.getAttribute('src')).toBe(`/api/clips/${clip.clipId}/video`);
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    // The home page's last visit is the same visit.
    await openPage(page, 'Home');
    await expect.poll(() => page.getByTestId('last-visit').textContent(), { timeout: 10_000 }).toContain('Doorbell rang');
    await context.close();
  }, 120_000);

  it('a triggered alarm offers three things to do: call 999, tell the police now, silence the siren', async () => {
    const { context, page } = await newDevice(browser, PHONE, { touch: true });
    page.setDefaultTimeout(15_000);
    await signIn(page, hub.url, OWNER.username, OWNER.password);
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: PIN })).status).toBe(200);
    const state = page.getByTestId('alarm-state');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('armed_away');
    await sim.open('kitchen_window');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('triggered');
    const actions = page.getByTestId('alarm-actions');
    expect(await actions.getByRole('link', { name: 'Call 999' }).getAttribute('href')).toBe('tel:999');
    await actions.getByRole('button', { name: 'Tell the police now' }).waitFor();
    await actions.getByRole('button', { name: 'Silence the siren' }).waitFor();
    expect(await page.getByTestId('next-step').textContent()).toMatch(/Call 999/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'phone-owner-home-triggered.png'), animations: 'disabled' });
    // Her choice keeps alarms at home, so the ARC hears nothing of it, even once a second sensor confirms it.
    const confirmed = hub.hub.bus.next('intrusion.confirmed');
    await sim.open('hall_door');
    await confirmed;
    await actions.getByRole('button', { name: 'Tell the police now' }).click();
    // She is asked on the spot, in plain words, for this alarm only.
    const question = page.getByTestId('tell-police-question');
    await expect.poll(() => question.textContent(), { timeout: 10_000 }).toMatch(/Send this alarm to alarm receiving centre .+ now\?/);
    expect(await question.textContent()).toContain('This once only; your usual choices stay as they are.');
    expect(arc.alarms()).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'phone-owner-tell-police-once.png'), animations: 'disabled' });
    await page.getByRole('button', { name: 'Yes, send it this once' }).click();
    await arc.waitFor((r) => r.alarms().length === 1, 10_000);
    expect(arc.alarms()[0]?.code).toBe('BA');
    await page.getByText('Sent to the police.').waitFor();
    // Silence the siren: the PIN stops the sounder; the alarm stays on.
    await actions.getByRole('button', { name: 'Silence the siren' }).click();
    await page.getByLabel('PIN', { exact: true }).fill(PIN);
    await page.getByRole('button', { name: 'Silence only' }).click();
    await expect.poll(() => page.getByText('The siren is sounding.').count(), { timeout: 10_000 }).toBe(0);
    expect(await state.getAttribute('data-state')).toBe('triggered');
    await page.getByLabel('PIN', { exact: true }).fill(PIN);
    await page.getByRole('button', { name: 'Disarm' }).click();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('disarmed');
    await sim.close('hall_door');
    await sim.close('kitchen_window');
    await context.close();
  }, 60_000);

  it('discreet mode: no page says alarm, police, panic, help or Sanctuary; the header follows at once', async () => {
    const { context, page } = await newDevice(browser, SMALL_PHONE, { touch: true });
    page.setDefaultTimeout(15_000);
    await signIn(page, hub.url, OWNER.username, OWNER.password);
    await expect.poll(() => page.locator('header').textContent()).toContain('Sanctuary');
    await openPage(page, 'Settings');
    await page.getByLabel(/Call this app "Notes"/).check();
    // At once, without moving to another page.
    expect(await page.locator('header').textContent()).not.toMatch(FORBIDDEN);
    await page.getByLabel('Name in discreet mode').fill('Recipes');
    await expect.poll(() => page.locator('header .brand').textContent()).toBe('Recipes');
    expect(await page.title()).toBe('Recipes');
    for (const p of PAGES.owner) {
      await openPath(page, p.path);
      await settle(page);
      const text = await page.locator('body').innerText();
      expect(text.match(FORBIDDEN)?.[0] ?? null, `${p.path} in discreet mode:\n${text}`).toBeNull();
      await page.screenshot({ path: join(SCREENSHOT_DIR, `phone-discreet${p.path.replace(/\//g, '-')}.png`), animations: 'disabled' });
    }
    // And back: the app's own words return.
    await openPath(page, '/settings');
    await page.getByLabel(/Call this app/).uncheck();
    await expect.poll(() => page.locator('body').innerText()).toMatch(/Alarm PIN/);
    await context.close();
  }, 120_000);
});
