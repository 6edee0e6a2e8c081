/**
 * A session that ends (the hub's clock moved past its expiry) sends the app calmly back to
 * sign-in on the next action. Its own hub: moving the clock must not disturb other tests' cameras.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, screenshots, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

describe('e2e: session expiry', () => {
  let hub: TestHub;
  let browser: Browser;
  let offset = 0;

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    hub = await startTestHub({
      uiDir,
      // Only the hub's idea of "now" moves; timers run in real time.
      clock: { now: () => Date.now() + offset },
      config: { http: { sessionTtlMinutes: 5 } },
    });
    await ownerClient(hub.url, hub.setupCode);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('when the session ends, the next action goes back to sign-in with a calm message', async () => {
    const { context, page } = await newDevice(browser);
    page.setDefaultTimeout(10_000);
    await signIn(page, hub.url, OWNER.username, OWNER.password);
    offset = 6 * 60_000;
    // The next action: opening another page. A background refresh may reach the hub first and
    // bounce the app to sign-in before the click; either way it must land there, calmly.
    const signInHeading = page.getByRole('heading', { name: 'Sign in' });
    await signInHeading
      .or(page.getByRole('navigation').getByRole('link', { name: 'Timeline' }))
      .first()
      .click();
    await signInHeading.waitFor();
    expect(await page.getByRole('status').textContent()).toBe(
      'You were signed out because your session ended. Sign in again when you are ready.',
    );
    await screenshots(page, 'session-ended');
    offset = 0;
    await context.close();
  });
});
