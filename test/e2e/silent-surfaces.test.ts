/**
 * Silent means silent, in a real browser: a covert panic held on the phone and a disarm with the
 * duress PIN leave every owner page looking as it would have anyway, while the ARC receives both
 * (consented). Each owner page's visible text is read before and after (times normalised):
 * - the covert panic changes nothing at all;
 * - the duress disarm changes each page exactly as a normal arm-and-disarm does.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../app/plugins.js';
import { ZigbeeSim } from '../../hub/sim/zigbee-sensors.js';
import { PAGES } from '../../ui/src/pages.js';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, screenshots, signIn } from '../helpers/browser.js';
import { Dc09TestReceiver } from '../helpers/dc09-receiver.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

const PIN = '2468';
const DURESS_PIN = '1357';

/** Every line of visible text, with clock times and dates made neutral. */
async function pageLines(page: Page): Promise<string[]> {
  const text = await page.locator('body').innerText();
  return text
    .split('\n')
    .map((l) =>
      l
        .trim()
        .replace(/\d{1,2}:\d\d(:\d\d)?/g, 'hh:mm')
        .replace(/\d{1,2}\/\d{1,2}\/\d{2,4}|\d{4}-\d\d-\d\d/g, 'date'),
    )
    .filter(Boolean);
}

/** What `after` has that `before` has not, counting repeats (a multiset difference). */
function added(before: string[], after: string[]): string[] {
  const left = new Map<string, number>();
  for (const l of before) left.set(l, (left.get(l) ?? 0) + 1);
  const out: string[] = [];
  for (const l of after) {
    const n = left.get(l) ?? 0;
    if (n > 0) left.set(l, n - 1);
    else out.push(l);
  }
  return out.sort();
}

describe('e2e: a covert panic and a duress disarm leave no trace on any owner page', () => {
  let hub: TestHub;
  let arc: Dc09TestReceiver;
  let sim: ZigbeeSim;
  let browser: Browser;
  let owner: ApiClient;

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    arc = new Dc09TestReceiver();
    await arc.start();
    hub = await startTestHub({
      uiDir,
      plugins: builtinPlugins().filter((p) => p.id !== 'person-detector'),
      config: {
        home: { name: 'Test home', address: '1 Example Street, Exampletown' },
        alarm: { exitDelaySeconds: 0, entryDelaySeconds: 10 },
        sensors: [
          {
            id: 'front-door',
            name: 'Front door',
            location: 'Hallway',
            kind: 'door',
            entryRoute: true,
            source: { type: 'zigbee2mqtt', friendlyName: 'front_door' },
            checkInSeconds: 600,
          },
        ],
        plugins: {
          'sia-dc09': {
            enabled: true,
            host: '127.0.0.1',
            port: arc.port,
            account: '1234AB',
            receiver: '12',
            line: '3',
            linkTestSeconds: 0,
          },
        },
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    expect((await owner.put('/api/alarm/pins', { pin: PIN, duressPin: DURESS_PIN })).status).toBe(204);
    const consent = await owner.put('/api/consent', {
      kinds: { panic: 'automatic', duress: 'automatic' },
      channels: { arc: { on: true } },
    });
    expect(consent.status).toBe(200);
    sim = new ZigbeeSim(hub.mqttUrl);
    await sim.start();
    const seen = hub.hub.bus.next('sensor.seen', (e) => e.sensorId === 'front-door');
    await sim.close('front_door');
    await seen;
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
    await hub?.close();
    await arc?.stop();
  });

  it('every owner page reads the same after a covert panic, and after a duress disarm as after a normal one', async () => {
    const { context, page } = await newDevice(browser);
    page.setDefaultTimeout(15_000);
    await signIn(page, hub.url, OWNER.username, OWNER.password);

    const readAll = async (): Promise<Record<string, string[]>> => {
      const out: Record<string, string[]> = {};
      for (const p of PAGES.owner) {
        await openPage(page, p.label);
        await page.waitForURL(`${hub.url}${p.path}`);
        await page.waitForLoadState('networkidle');
        // Lists load after the page appears; give them a moment to settle.
        await page.waitForTimeout(700);
        out[p.path] = await pageLines(page);
      }
      await openPage(page, 'Home');
      await page.getByTestId('alarm-state').waitFor();
      return out;
    };
    const state = page.getByTestId('alarm-state');
    const cycle = async (disarmPin: string) => {
      await page.getByLabel('PIN', { exact: true }).fill(PIN);
      await page.getByRole('button', { name: 'Arm: staying in' }).click();
      await expect.poll(() => state.getAttribute('data-state'), { timeout: 8000 }).toBe('armed_home');
      await page.getByLabel('PIN', { exact: true }).fill(disarmPin);
      await page.getByRole('button', { name: 'Disarm' }).click();
      await expect.poll(() => state.getAttribute('data-state'), { timeout: 8000 }).toBe('disarmed');
      await page.waitForTimeout(500);
    };

    await cycle(PIN);
    const s0 = await readAll();

    // A covert panic, held on the home page as the victim would.
    const panic = page.getByTestId('panic');
    await panic.focus();
    await page.keyboard.down('Space');
    await page.waitForTimeout(2300);
    await page.keyboard.up('Space');
    await expect.poll(() => arc.alarms().some((f) => f.code === 'PA'), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => panic.getAttribute('data-phase'), { timeout: 8000 }).toBe('idle');
    const s1 = await readAll();
    for (const p of PAGES.owner) expect(s1[p.path], `${p.path} after a covert panic`).toEqual(s0[p.path]);

    // A normal arm-and-disarm, then one with the duress PIN: the pages change the same way.
    await cycle(PIN);
    const s2 = await readAll();
    await cycle(DURESS_PIN);
    await expect.poll(() => arc.alarms().some((f) => f.code === 'HA'), { timeout: 10_000 }).toBe(true);
    const s3 = await readAll();
    for (const p of PAGES.owner) {
      expect(added(s2[p.path] ?? [], s3[p.path] ?? []), `${p.path}: what the duress disarm added`).toEqual(
        added(s1[p.path] ?? [], s2[p.path] ?? []),
      );
      // The settings pages describe the duress PIN as a setting; no other page may mention one.
      if (p.path !== '/consent' && p.path !== '/settings')
        expect((s3[p.path] ?? []).join('\n'), p.path).not.toMatch(/duress|safety PIN|help request/i);
    }
    await screenshots(page, 'owner-home-after-silent-alarms');
    await context.close();
  }, 180_000);

  it('serves nothing to an anonymous visitor that names the product or the home', async () => {
    const html = await (await fetch(`${hub.url}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThan(1);
    const paths = [
      '/',
      '/login',
      ...assets,
      '/icon.svg',
      '/%69con.svg',
      '/ICON.SVG',
      '/assets/../icon.svg',
      '/manifest.webmanifest',
      '/api',
      '/api/health',
      '/api/identity',
    ];
    for (const path of paths) {
      const text = await (await fetch(`${hub.url}${path}`)).text();
      expect(text, path).not.toMatch(/sanctuary|Test home|Example Street/i);
    }
    // A signed-in device does get the branded icon.
    expect(await (await fetch(`${hub.url}/icon.svg`, { headers: { cookie: owner.sessionCookie ?? '' } })).text()).toMatch(/Sanctuary/);
  });
});
