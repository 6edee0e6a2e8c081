/**
 * The owner downloads a backup from Settings in real Chromium: password again, passphrase twice,
 * and the file the browser saves is an age file that opens with that passphrase and holds the
 * hub's database and identity. Before it, home has a gentle "no backup yet" line and the card says
 * there is none; after it, the card says when it was made and home no longer reminds.
 */
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackup } from '../../hub/appliance/backup.js';
import { OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, screenshots, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

const PASSPHRASE = 'a long walk by the canal';

describe('e2e: backup from Settings', () => {
  let hub: TestHub;
  let browser: Browser;

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    hub = await startTestHub({ uiDir });
    await ownerClient(hub.url, hub.setupCode);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('downloads an encrypted backup that opens with the passphrase', async () => {
    const { context, page } = await newDevice(browser);
    page.setDefaultTimeout(15_000);
    await signIn(page, hub.url, OWNER.username, OWNER.password);
    // No backup yet: home says so gently, and the card says when the last one was (never).
    await page.getByTestId('glance-backup').getByText('none yet: make one in Settings').waitFor();
    await openPage(page, 'Settings');
    const card = page.getByRole('form', { name: 'Backup' });
    await card.getByTestId('backup-last').getByText('No backup of this hub yet.').waitFor();
    await card.getByLabel('Your password').fill(OWNER.password);
    await card.getByLabel('Passphrase for the file').fill(PASSPHRASE);
    await card.getByLabel('Passphrase again').fill('a different one entirely');
    await card.getByRole('button', { name: 'Download backup' }).click();
    await card.getByText('The two passphrases are not the same.').waitFor();

    await card.getByLabel('Passphrase again').fill(PASSPHRASE);
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Download backup' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^hub-backup-[0-9a-f]{16}-\d{4}-\d\d-\d\d\.age$/);
    const path = await download.path();
    const bytes = await readFile(path);
    const { manifest, files } = await openBackup(bytes, PASSPHRASE);
    expect(files.get('database/sanctuary.db')?.subarray(0, 15).toString()).toBe('SQLite format 3');
    // The hub key is in the backup as it is on the card: sealed to the owner's key.
    expect(manifest.files.some((f) => f.path === 'data/identity/hub-ed25519.key.age')).toBe(true);
    await card.getByText(/Backup saved as hub-backup-/).waitFor();
    await card
      .getByTestId('backup-last')
      .getByText(/^Last backup .* \(downloaded here\)\.$/)
      .waitFor();
    await screenshots(page, 'owner-backup');
    // Home no longer reminds.
    const asked = page.waitForResponse((r) => r.url().endsWith('/api/backup/status') && r.status() === 200);
    await openPage(page, 'Home');
    const answer = (await (await asked).json()) as { remind: boolean };
    expect(answer.remind).toBe(false);
    await page.getByTestId('glance').waitFor();
    expect(await page.getByTestId('glance-pin').count()).toBe(1);
    expect(await page.getByTestId('glance-backup').count()).toBe(0);
    await context.close();
  });
});
