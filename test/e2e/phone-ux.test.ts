/**
 * The owner's app on a phone, one thumb, against a real hub, a real RTSP doorbell, the real
 * recorder and Zigbee2MQTT sensors over a real broker. Everything runs at 360x740 and at 390x844,
 * each size with a hub of its own:
 * - status at a glance: whether the PINs are set (home and Settings), a police request waiting
 *   (home), a paused (bypassed) sensor grey with a plain word, identical alerts as one row with a count;
 * - help is visible without scrolling on every owner page and is held with a touch (touch events);
 * - no page scrolls sideways: the sign-in page, every owner page, again with the alarm going off
 *   and again in discreet mode (alarm off and going off); a full-page screenshot of every owner
 *   page at 390x844, checked on disk;
 * - a doorbell press shows on home and on the doorbell page, and stays;
 * - a visit row plays its clip;
 * - a triggered alarm offers: call 999, tell the police now (with alarms kept at home, it asks on
 *   the spot and sends that alarm once to the DC-09 receiver), silence the siren (alarm stays on);
 * - discreet mode leaves none of "alarm", "police", "panic", "help", "Sanctuary" on any page,
 *   the header included, also while the alarm is going off, and says the name the owner picked at once.
 * The doorbell's button is hardware: its press is put on the bus as the ONVIF plugin would.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../app/plugins.js';
import { SimRtspServer } from '../../hub/sim/rtsp-server.js';
import { ZigbeeSim } from '../../hub/sim/zigbee-sensors.js';
import { PAGES } from '../../ui/src/pages.js';
import { type ApiClient, invitedClient, OWNER, ownerClient } from '../helpers/api-client.js';
import {
  ensureUiBuilt,
  fullPageShot,
  launchBrowser,
  newDevice,
  openPage,
  PHONE,
  SCREENSHOT_DIR,
  SMALL_PHONE,
  signIn,
} from '../helpers/browser.js';
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

/** How far the page scrolls sideways (0: not at all). */
function sideways(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** A full-page screenshot (the whole page, not just the screen) under test-artifacts/screenshots/. */
async function shot(page: Page, name: string): Promise<void> {
  await fullPageShot(page, join(SCREENSHOT_DIR, `${name}.png`));
}

function shotName(prefix: string, path: string): string {
  return `${prefix}${path.replace(/\//g, '-')}`;
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

const MUTED = 'rgb(74, 85, 97)'; // --muted in ui/src/styles.css
const OK = 'rgb(30, 107, 58)'; // --ok

describe('e2e: the owner app with one thumb on a phone', () => {
  let browser: Browser;
  let uiDir: string;

  beforeAll(async () => {
    uiDir = await ensureUiBuilt();
    browser = await launchBrowser();
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  for (const size of [SMALL_PHONE, PHONE]) {
    const tag = size === PHONE ? 'phone' : 'small-phone';
    describe(`at ${size.width}x${size.height}`, () => {
      let hub: TestHub;
      let camera: SimRtspServer;
      let sim: ZigbeeSim;
      let owner: ApiClient;
      let arc: Dc09TestReceiver;

      /** A fresh phone (its own cookies) of this size, signed in as the owner. */
      async function ownerPhone(): Promise<{ context: BrowserContext; page: Page }> {
        const d = await newDevice(browser, size, { touch: true });
        d.page.setDefaultTimeout(15_000);
        await signIn(d.page, hub.url, OWNER.username, OWNER.password);
        return d;
      }

      /** Arm (away) and open the kitchen window: the alarm goes off. */
      async function setOff(): Promise<void> {
        expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: PIN })).status).toBe(200);
        const triggered = hub.hub.bus.next('alarm.triggered');
        await sim.open('kitchen_window');
        await triggered;
      }

      beforeAll(async () => {
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
        sim = new ZigbeeSim(hub.mqttUrl);
        await sim.start();
        const seen = hub.hub.bus.next('sensor.seen', (e) => e.sensorId === 'kitchen-window');
        const hallSeen = hub.hub.bus.next('sensor.seen', (e) => e.sensorId === 'hall-door');
        await sim.close('kitchen_window');
        await sim.close('hall_door');
        await seen;
        await hallSeen;
      }, 120_000);

      afterAll(async () => {
        await sim?.stop();
        await hub?.close();
        await arc?.stop();
        await camera?.stop();
      });

      it('status at a glance: PINs set or not, a police request waiting, a paused sensor grey, identical alerts counted', async () => {
        const { context, page } = await ownerPhone();
        // No PIN yet: home and Settings say so, and the next step is to choose one.
        const pinRow = page.getByTestId('glance-pin');
        await expect.poll(() => pinRow.textContent()).toContain('not set yet');
        expect(await page.getByTestId('next-step').textContent()).toContain('Choose your alarm PIN in Settings');
        await openPage(page, 'Settings');
        const pinsState = page.getByTestId('pins-state');
        await expect.poll(() => pinsState.textContent()).toContain('No PIN is set yet');
        await page.getByLabel('PIN', { exact: true }).fill(PIN);
        await page.getByLabel('Second (safety) PIN').fill(DURESS_PIN);
        await page.getByRole('button', { name: 'Save PINs' }).click();
        await expect.poll(() => pinsState.textContent()).toContain('Your PINs are set.');
        await openPage(page, 'Home');
        await expect.poll(() => pinRow.textContent()).toMatch(/Alarm PIN\s*set$/);
        expect(await pinRow.locator('.status').getAttribute('class')).toContain('ok');

        // A police request waiting shows on home, and becomes the next step, without a reload.
        const requests = page.getByTestId('glance-requests');
        expect(await requests.textContent()).toContain('none waiting');
        const police = await invitedClient(hub.url, owner, 'police', 'pc-jones');
        const now = Date.now();
        const asked = await police.post('/api/requests', {
          force: 'Metropolitan Police Service',
          officerName: 'PC Alex Jones',
          officerId: 'MPS-4471',
          crimeReference: 'CRIS/2025/0042',
          offence: 'Breach of non-molestation order',
          fromTs: now - 600_000,
          toTs: now - 60_000,
          cameraIds: ['front-door'],
          reason: 'Suspect seen at the front door in breach of the order',
        });
        expect(asked.status).toBe(200);
        await expect.poll(() => requests.textContent(), { timeout: 10_000 }).toContain('1 waiting for your answer');
        expect(await page.getByTestId('next-step').textContent()).toContain('The police asked for footage');

        // Armed over an open window: that window is paused, shown grey in a plain word (not green, not hidden).
        const kitchen = page.locator('[data-testid="sensors"] li[data-sensor="kitchen-window"]');
        await sim.open('kitchen_window');
        await expect.poll(() => kitchen.getAttribute('data-open'), { timeout: 10_000 }).toBe('true');
        expect((await owner.post('/api/alarm/arm', { mode: 'armed_home', pin: PIN })).status).toBe(409);
        expect((await owner.post('/api/alarm/arm', { mode: 'armed_home', pin: PIN, force: true })).status).toBe(200);
        await expect.poll(() => kitchen.getAttribute('data-bypassed'), { timeout: 10_000 }).toBe('true');
        const word = kitchen.locator('.status');
        expect(await word.textContent()).toBe('paused: left open, watched again once closed');
        expect(await word.evaluate((el) => getComputedStyle(el).color)).toBe(MUTED);
        expect(await word.isVisible()).toBe(true);
        // The alarm's own card says it too, where she looks first.
        expect(await page.getByTestId('alarm-state').textContent()).toContain('Paused until closed: Kitchen window.');
        // The hall door, closed and watched, is green.
        const hall = page.locator('[data-testid="sensors"] li[data-sensor="hall-door"] .status');
        expect(await hall.textContent()).toBe('closed');
        expect(await hall.evaluate((el) => getComputedStyle(el).color)).toBe(OK);
        await shot(page, `${tag}-owner-home-paused-sensor`);
        // Closed again, it is watched again: green, no longer paused.
        await sim.close('kitchen_window');
        await expect.poll(() => word.textContent(), { timeout: 10_000 }).toBe('closed');
        expect(await kitchen.getAttribute('data-bypassed')).toBe('false');
        expect(await page.getByTestId('alarm-state').textContent()).not.toContain('Paused');
        expect(await word.evaluate((el) => getComputedStyle(el).color)).toBe(OK);
        expect((await owner.post('/api/alarm/disarm', { pin: PIN })).status).toBe(200);

        // Four tamper alerts that ended the same way (not sent: no consent) are one row with a count.
        for (const tamper of [true, false, true, false]) {
          const raised = hub.hub.bus.next('alert.raised', (e) => e.kind === 'tamper');
          await sim.report('kitchen_window', { tamper });
          await raised;
        }
        const tamperRows = page.getByTestId('alerts').locator('li').filter({ hasText: 'Tampering' });
        await expect.poll(() => tamperRows.count(), { timeout: 10_000 }).toBe(1);
        await expect.poll(() => tamperRows.getAttribute('data-count'), { timeout: 10_000 }).toBe('4');
        expect(await tamperRows.textContent()).toMatch(/Tampering ×4 · .+ to .+Latest: /);
        await context.close();
      }, 90_000);

      it('help is in reach on every page, held with a touch; nothing scrolls sideways, the sign-in page included', async () => {
        const started = Date.now();
        const { context, page } = await newDevice(browser, size, { touch: true });
        page.setDefaultTimeout(15_000);
        await page.goto(`${hub.url}/login`);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        expect(await sideways(page), 'horizontal overflow on /login').toBeLessThanOrEqual(0);
        if (size === PHONE) await shot(page, 'phone-sign-in');
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
          expect(await sideways(page), `horizontal overflow on ${p.path}`).toBeLessThanOrEqual(0);
          // Every destination of the bottom navigation is on screen (at most five of them).
          const nav = page.getByRole('navigation').getByRole('link');
          expect(await nav.count()).toBeLessThanOrEqual(5);
          for (const link of await nav.all()) {
            const b = await link.boundingBox();
            expect((b?.x ?? -1) >= 0 && (b?.x ?? 0) + (b?.width ?? 0) <= size.width, `${await link.textContent()} on screen`).toBe(true);
          }
          if (size === PHONE) await shot(page, shotName('phone-owner', p.path));
        }
        // Every owner page's screenshot is on disk, written by this run, and is the whole page
        // (at least the screen's height; a PNG's height is bytes 20-23 of its header).
        if (size === PHONE)
          for (const p of PAGES.owner) {
            const file = join(SCREENSHOT_DIR, `${shotName('phone-owner', p.path)}.png`);
            const st = await stat(file);
            expect(st.mtimeMs, file).toBeGreaterThanOrEqual(started - 1000);
            const png = await readFile(file);
            expect(png.readUInt32BE(16), `${file} width`).toBe(size.width);
            expect(png.readUInt32BE(20), `${file} height`).toBeGreaterThanOrEqual(size.height);
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

      it('a doorbell press shows on home and on the doorbell page and stays; the visit row plays its clip', async () => {
        await expect
          .poll(
            async () =>
              (await owner.get<{ cameras: Array<{ status: { online: boolean } }> }>('/api/cameras')).body.cameras[0]?.status.online,
            { timeout: 20_000 },
          )
          .toBe(true);
        // The recorder needs a few segments of pre-roll.
        await new Promise((r) => setTimeout(r, 4000));
        const { context, page } = await ownerPhone();
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
        await shot(page, `${tag}-owner-visit`);
        await row.getByRole('button', { name: 'Play clip' }).click();
        const video = row.getByTestId('clip-video');
        expect(await video.getAttribute('src')).toBe(`/api/clips/${clip.clipId}/video`);
        await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
        // The home page's last visit is the same visit.
        await openPage(page, 'Home');
        await expect.poll(() => page.getByTestId('last-visit').textContent(), { timeout: 10_000 }).toContain('Doorbell rang');
        await context.close();
      }, 120_000);

      it('a triggered alarm offers three things to do: call 999, tell the police now, silence the siren; no page scrolls sideways meanwhile', async () => {
        const { context, page } = await ownerPhone();
        const state = page.getByTestId('alarm-state');
        await setOff();
        await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('triggered');
        const actions = page.getByTestId('alarm-actions');
        expect(await actions.getByRole('link', { name: 'Call 999' }).getAttribute('href')).toBe('tel:999');
        await actions.getByRole('button', { name: 'Tell the police now' }).waitFor();
        await actions.getByRole('button', { name: 'Silence the siren' }).waitFor();
        expect(await page.getByTestId('next-step').textContent()).toMatch(/Call 999/);
        // The three are on the screen side by side or stacked, never off its edge.
        for (const a of await actions.locator('a, button').all()) {
          const b = await a.boundingBox();
          expect((b?.x ?? -1) >= 0 && (b?.x ?? 0) + (b?.width ?? 0) <= size.width, `${await a.textContent()} within the width`).toBe(true);
        }
        await shot(page, `${tag}-owner-home-triggered`);
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
        await shot(page, `${tag}-owner-tell-police-once`);
        await page.getByRole('button', { name: 'Yes, send it this once' }).click();
        await arc.waitFor((r) => r.alarms().length === 1, 10_000);
        expect(arc.alarms()[0]?.code).toBe('BA');
        await page.getByText('Sent to the police.').waitFor();
        // While it is going off, no owner page scrolls sideways (the alarm's rows and actions included).
        for (const p of PAGES.owner) {
          await openPage(page, p.label);
          await page.waitForURL(`${hub.url}${p.path}`);
          await settle(page);
          expect(await sideways(page), `horizontal overflow on ${p.path} with the alarm going off`).toBeLessThanOrEqual(0);
        }
        await openPage(page, 'Home');
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
      }, 120_000);

      it('discreet mode: no page says alarm, police, panic, help or Sanctuary, nor scrolls sideways, also while the alarm goes off; the header follows at once', async () => {
        const { context, page } = await ownerPhone();
        await expect.poll(() => page.locator('header').textContent()).toContain('Sanctuary');
        await openPage(page, 'Settings');
        await page.getByLabel(/Call this app "Notes"/).check();
        // At once, without moving to another page.
        expect(await page.locator('header').textContent()).not.toMatch(FORBIDDEN);
        await page.getByLabel('Name in discreet mode').fill('Recipes');
        await expect.poll(() => page.locator('header .brand').textContent()).toBe('Recipes');
        expect(await page.title()).toBe('Recipes');
        const everyPage = async (when: string, prefix: string | null) => {
          for (const p of PAGES.owner) {
            await openPath(page, p.path);
            await settle(page);
            const text = await page.locator('body').innerText();
            expect(text.match(FORBIDDEN)?.[0] ?? null, `${p.path} in discreet mode ${when}:\n${text}`).toBeNull();
            expect(await sideways(page), `horizontal overflow on ${p.path} in discreet mode ${when}`).toBeLessThanOrEqual(0);
            if (prefix) await shot(page, shotName(prefix, p.path));
          }
        };
        await everyPage('', size === PHONE ? 'phone-discreet' : null);
        // The alarm goes off: its actions, the alerts and the next step are in neutral words too.
        await setOff();
        await openPath(page, '/home');
        await expect.poll(() => page.getByTestId('alarm-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('triggered');
        await page.getByTestId('alarm-actions').waitFor();
        await everyPage('with the alarm going off', size === PHONE ? 'phone-discreet-triggered' : null);
        expect((await owner.post('/api/alarm/disarm', { pin: PIN })).status).toBe(200);
        await sim.close('kitchen_window');
        // And back: the app's own words return.
        await openPath(page, '/settings');
        await page.getByLabel(/Call this app/).uncheck();
        await expect.poll(() => page.locator('body').innerText()).toMatch(/Alarm PIN/);
        await context.close();
      }, 180_000);
    });
  }
});
