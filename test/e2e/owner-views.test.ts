/**
 * The owner's camera screens against a real RTSP doorbell and the real recorder: live view over
 * the WebSocket (the camera's H.264 through Media Source), a clip kept from the doorbell page that
 * appears in the timeline and plays; discreet mode.
 */
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../app/plugins.js';
import { SimRtspServer } from '../../hub/sim/rtsp-server.js';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, screenshots, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

const DOORBELL_CLIP = fileURLToPath(new URL('../fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));

describe('e2e: doorbell live view, clips in the timeline, discreet mode', () => {
  let hub: TestHub;
  let camera: SimRtspServer;
  let browser: Browser;
  let owner: ApiClient;

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    camera = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell' });
    await camera.start();
    hub = await startTestHub({
      uiDir,
      plugins: builtinPlugins(),
      config: {
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
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await camera?.stop();
  });

  it('shows the doorbell live, keeps a clip that appears in the timeline and plays', async () => {
    await expect
      .poll(
        async () => (await owner.get<{ cameras: Array<{ status: { online: boolean } }> }>('/api/cameras')).body.cameras[0]?.status.online,
        { timeout: 20_000 },
      )
      .toBe(true);
    const { context, page } = await newDevice(browser);
    page.setDefaultTimeout(15_000);
    await signIn(page, hub.url, OWNER.username, OWNER.password);
    await expect.poll(() => page.getByTestId('camera-front-door').textContent(), { timeout: 10_000 }).toContain('online');
    await openPage(page, 'Doorbell');
    // Chromium has Media Source for H.264: the camera's own stream plays (live-view-mse.test has the details).
    await expect.poll(() => page.getByTestId('live-view').getAttribute('data-playing'), { timeout: 20_000 }).toBe('true');
    expect(await page.getByTestId('live-view').getAttribute('data-mode')).toBe('mse');
    await screenshots(page, 'owner-doorbell');

    await page.getByRole('button', { name: 'Keep a clip now' }).click();
    await page.getByText('Saving a clip of the last moments').waitFor();
    await openPage(page, 'Timeline');
    const play = page.getByRole('button', { name: 'Play clip' }).first();
    await play.waitFor({ timeout: 30_000 });
    await screenshots(page, 'owner-timeline');
    await play.click();
    const video = page.getByTestId('clip-video').first();
    // The browser fetched the clip (with Range) and has decoded enough to show a frame.
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(await video.evaluate((v: HTMLVideoElement) => v.duration)).toBeGreaterThan(1);
    await context.close();
  }, 90_000);

  it('discreet mode renames the app "Notes" with a neutral icon on this device', async () => {
    const { context, page } = await newDevice(browser);
    await signIn(page, hub.url, OWNER.username, OWNER.password);
    // The product's name arrives from the hub once signed in (nothing public names it).
    await expect.poll(() => page.title()).toBe('Sanctuary');
    await openPage(page, 'Settings');
    await page.getByLabel(/Call this app "Notes"/).check();
    expect(await page.title()).toBe('Notes');
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/icon-notes.svg');
    expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toBe('/manifest-notes.webmanifest');
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.title()).toBe('Notes');
    expect(await page.locator('header').textContent()).not.toContain('Sanctuary');
    await screenshots(page, 'owner-discreet');
    await context.close();
  });
});
