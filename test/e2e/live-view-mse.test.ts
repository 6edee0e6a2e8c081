/**
 * Live view in real Chromium against a real RTSP doorbell: the camera's H.264 passed through the
 * hub into Media Source (a <video> whose time advances and whose frames decode to a picture), and
 * the MPEG-1 fallback (JSMpeg) in a browser without Media Source.
 */
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../app/plugins.js';
import { SimRtspServer } from '../../hub/sim/rtsp-server.js';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, screenshots, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../hub/recorder/harness.js';

const DOORBELL_CLIP = fileURLToPath(new URL('../fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));

/** Spread of the luma of the video's current frame drawn to a canvas (0 for a blank or uniform frame). */
async function frameSpread(page: Page): Promise<number> {
  return page.getByTestId('live-video').evaluate((v: HTMLVideoElement) => {
    const c = document.createElement('canvas');
    c.width = 96;
    c.height = 72;
    const g = c.getContext('2d');
    if (!g) throw new Error('no 2d context');
    g.drawImage(v, 0, 0, c.width, c.height);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    let min = 255;
    let max = 0;
    for (let i = 0; i < px.length; i += 4) {
      const y = 0.299 * (px[i] ?? 0) + 0.587 * (px[i + 1] ?? 0) + 0.114 * (px[i + 2] ?? 0);
      min = Math.min(min, y);
      max = Math.max(max, y);
    }
    return max - min;
  });
}

describe('e2e: doorbell live view through Media Source, and the MPEG-1 fallback', () => {
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
    await waitFor(
      'the doorbell online',
      async () => (await owner.get<{ cameras: Array<{ status: { online: boolean } }> }>('/api/cameras')).body.cameras[0]?.status.online,
      20_000,
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await camera?.stop();
  });

  it('plays the camera’s H.264 through Media Source: time advances, frames decode to a picture', { timeout: 60_000 }, async () => {
    const { context, page } = await newDevice(browser);
    try {
      page.setDefaultTimeout(15_000);
      // Debian's Chromium (with its ffmpeg) takes H.264 and AAC in Media Source.
      const support = await page.evaluate(() => ({
        h264: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'),
        h264aac: MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001f,mp4a.40.2"'),
      }));
      expect(support).toEqual({ h264: true, h264aac: true });
      await signIn(page, hub.url, OWNER.username, OWNER.password);
      await openPage(page, 'Doorbell');
      const view = page.getByTestId('live-view');
      await expect.poll(() => view.getAttribute('data-mode')).toBe('mse');
      await expect.poll(() => view.getAttribute('data-playing'), { timeout: 20_000 }).toBe('true');
      await page.getByText('Front door: live').waitFor();
      const video = page.getByTestId('live-video');
      expect(await video.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight])).toEqual([768, 576]);

      // A frame presented to the screen (not only decoded into the buffer).
      const presented = await video.evaluate(
        (v: HTMLVideoElement) =>
          new Promise<number>((resolve) => v.requestVideoFrameCallback((_now, meta) => resolve(meta.presentedFrames))),
      );
      expect(presented).toBeGreaterThan(0);
      const t0 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
      await page.waitForTimeout(2000);
      const after = await video.evaluate((v: HTMLVideoElement) => {
        const b = v.buffered;
        return { t: v.currentTime, paused: v.paused, lag: b.length > 0 ? b.end(b.length - 1) - v.currentTime : Number.NaN };
      });
      expect(after.paused).toBe(false);
      expect(after.t - t0).toBeGreaterThan(1);
      // Kept near the live edge.
      expect(after.lag).toBeLessThan(2);
      // The picture is the doorway, not a blank or single-colour frame.
      expect(await frameSpread(page)).toBeGreaterThan(40);
      await screenshots(page, 'owner-doorbell-mse');

      const viewed = (await hub.hub.core.audit.entries()).filter((e) => e.action === 'live.viewed');
      expect(viewed.map((e) => e.subject)).toContainEqual({ cameraId: 'front-door', mode: 'mse' });

      // The camera drops: the page says the picture is not live; back, a new init resets the player.
      await camera.stop();
      await expect.poll(() => view.getAttribute('data-stalled'), { timeout: 15_000 }).toBe('true');
      await expect.poll(() => page.getByTestId('live-view').locator('figcaption').textContent()).toContain('waiting for the camera');
      await camera.start();
      await expect.poll(() => view.getAttribute('data-stalled'), { timeout: 30_000 }).toBe('false');
      await expect.poll(() => view.getAttribute('data-playing'), { timeout: 15_000 }).toBe('true');
      const t1 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
      await page.waitForTimeout(1500);
      const resumed = await video.evaluate((v: HTMLVideoElement) => ({ t: v.currentTime, paused: v.paused }));
      expect(resumed.paused).toBe(false);
      expect(resumed.t - t1).toBeGreaterThan(0.7);
      expect(await frameSpread(page)).toBeGreaterThan(40);
    } finally {
      await context.close();
    }
  });

  it('falls back to MPEG-1 (JSMpeg) in a browser without Media Source', { timeout: 60_000 }, async () => {
    const { context, page } = await newDevice(browser);
    try {
      page.setDefaultTimeout(15_000);
      await context.addInitScript(() => {
        const w = window as unknown as Record<string, unknown>;
        delete w.MediaSource;
        delete w.ManagedMediaSource;
        delete w.WebKitMediaSource;
      });
      await signIn(page, hub.url, OWNER.username, OWNER.password);
      expect(await page.evaluate(() => 'MediaSource' in window || 'ManagedMediaSource' in window)).toBe(false);
      await openPage(page, 'Doorbell');
      const view = page.getByTestId('live-view');
      await expect.poll(() => view.getAttribute('data-mode')).toBe('mpeg1');
      await expect.poll(() => page.getByTestId('live-canvas').getAttribute('data-playing'), { timeout: 30_000 }).toBe('true');
      expect(await view.getAttribute('data-playing')).toBe('true');
      await expect
        .poll(async () => (await hub.hub.core.audit.entries()).filter((e) => e.action === 'live.viewed').map((e) => e.subject))
        .toContainEqual({ cameraId: 'front-door', mode: 'mpeg1' });
    } finally {
      await context.close();
    }
  });
});
