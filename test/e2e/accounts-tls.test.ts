/**
 * The owner in real Chromium over the hub's own HTTPS (the browser trusts exactly this hub's
 * certificate, nothing else): changes her password, sees a second device signed in, signs it
 * out (its next request is refused), and removes the installer's later account (it can no
 * longer sign in). Chromium with no trust for the hub refuses the page.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ClientTls, INSTALLER, invitedClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, screenshots, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

const NEW_PASSWORD = 'a new long passphrase';

describe('e2e: accounts the owner controls, over HTTPS', () => {
  let hub: TestHub;
  let browser: Browser;
  let tls: ClientTls;

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    hub = await startTestHub({ uiDir, tls: true, modules: [] });
    tls = { ca: hub.ca ?? '' };
    const owner = await ownerClient(hub.url, hub.setupCode, tls);
    // An installer the owner invites later (for a repair, say).
    await invitedClient(hub.url, owner, 'installer', INSTALLER.username);
    browser = await launchBrowser({ trustSpki: hub.hub.tls?.spkiSha256 ?? '' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('refuses the page in a browser that does not trust the hub', async () => {
    const stranger = await launchBrowser();
    try {
      const page = await stranger.newPage();
      await expect(page.goto(`${hub.url}/login`)).rejects.toThrow(/ERR_CERT/);
    } finally {
      await stranger.close();
    }
  });

  it('password change, signed-in devices with sign-out, and removing the installer', async () => {
    const phone = await newDevice(browser);
    const laptop = await newDevice(browser);
    phone.page.setDefaultTimeout(15_000);
    laptop.page.setDefaultTimeout(15_000);
    await signIn(phone.page, hub.url, OWNER.username, OWNER.password);
    const cookies = await phone.context.cookies(hub.url);
    expect(cookies.find((c) => c.name === 'sanctuary_session')?.secure).toBe(true);
    await signIn(laptop.page, hub.url, OWNER.username, OWNER.password);

    // Change the password on the phone: the laptop is signed out.
    const page = phone.page;
    await page.goto(`${hub.url}/security`);
    await page.getByLabel('Current password').fill(OWNER.password);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed. Other devices are signed out.').waitFor();
    expect(await laptop.page.evaluate(() => fetch('/api/session').then((r) => r.status))).toBe(401);

    // The laptop signs in with the new password and shows up in the phone's list.
    await signIn(laptop.page, hub.url, OWNER.username, NEW_PASSWORD);
    await page.reload();
    // The owner sees every account's sessions (the installer is signed in too): pick hers.
    const rows = page.getByTestId('session-row').filter({ hasText: `${OWNER.username} ·` });
    await expect.poll(() => rows.count()).toBe(2);
    await page
      .getByTestId('cert-fingerprint')
      .getByText(hub.hub.tls?.fingerprint ?? 'missing')
      .waitFor();
    await screenshots(page, 'account-security');
    const other = rows.filter({ hasNotText: 'this device' });
    await other.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.textContent()).toContain('this device');
    expect(await laptop.page.evaluate(() => fetch('/api/session').then((r) => r.status))).toBe(401);

    // Remove the installer's account: it can no longer sign in.
    const row = page.getByTestId(`account-${INSTALLER.username}`);
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.waitFor({ state: 'detached' });
    const installer = new ApiClient(hub.url, tls);
    expect((await installer.login(INSTALLER.username, `${INSTALLER.username} password 123`)).status).toBe(401);
    await phone.context.close();
    await laptop.context.close();
  }, 120_000);
});
