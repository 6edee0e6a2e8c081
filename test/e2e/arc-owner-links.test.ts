/**
 * The owner's side of the ARC in real Chromium: she switches opening/closing reports on in plain
 * words on "What police are told" (the suite's DC-09 receiver then gets CL and OP), and on the same
 * page sees the verification link sent with a consented alert, with its expiry and openings, and
 * withdraws it: the link stops opening at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiaDc09Plugin } from '../../plugins/sia-dc09/plugin.js';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, screenshots, signIn } from '../helpers/browser.js';
import { Dc09TestReceiver } from '../helpers/dc09-receiver.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

describe('e2e: opening/closing consent and withdrawing a verification link', () => {
  let hub: TestHub;
  let arc: Dc09TestReceiver;
  let browser: Browser;
  let owner: ApiClient;

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    arc = new Dc09TestReceiver();
    await arc.start();
    hub = await startTestHub({
      uiDir,
      plugins: [new SiaDc09Plugin()],
      config: {
        home: { name: 'Test home', address: '1 Example Street, Exampletown' },
        alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0 },
        alerts: { retryInitialMs: 100, retryMaxSeconds: 1, publicBaseUrl: 'https://hub.example.org' },
        plugins: {
          'sia-dc09': {
            enabled: true,
            host: '127.0.0.1',
            port: arc.port,
            account: '1234AB',
            ackTimeoutMs: 400,
            linkTestSeconds: 0,
            openCloseReports: true,
          },
        },
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await arc?.stop();
  });

  it('switches opening/closing reports on in plain words; CL and OP reach the ARC', async () => {
    expect((await owner.put('/api/consent', { channels: { arc: { on: true } } })).status).toBe(200);
    expect((await owner.put('/api/alarm/pins', { pin: '1357', duressPin: '2468' })).status).toBe(204);
    const { context, page } = await newDevice(browser);
    try {
      page.setDefaultTimeout(15_000);
      await signIn(page, hub.url, OWNER.username, OWNER.password);
      await page.goto(`${hub.url}/consent`);
      const box = page.locator('fieldset[data-kind="open_close"]');
      await expect.poll(() => box.getByTestId('consent-words-open_close').textContent()).toContain('the alarm centre is not told');
      expect(await box.getByRole('radio').count()).toBe(2); // no "ask me first" for a routine report
      await box.getByLabel('Tell the alarm centre each time').check();
      await page.getByRole('button', { name: 'Save my choices' }).click();
      await expect
        .poll(() => box.getByTestId('consent-words-open_close').textContent())
        .toBe('When you turn the alarm on or off, the hub tells the alarm centre "alarm on" or "alarm off" and the time, nothing else.');
      await screenshots(page, 'owner-consent-open-close');
    } finally {
      await context.close();
    }
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);
    expect((await owner.post('/api/alarm/disarm', { pin: '1357' })).status).toBe(200);
    await arc.waitFor((r) => r.alarms().length === 2);
    expect(arc.alarms().map((f) => f.code)).toEqual(['CL', 'OP']);
  });

  it('lists the link sent with a consented alert and withdraws it at once', async () => {
    expect((await owner.put('/api/consent', { kinds: { panic: 'automatic' }, share: { snapshot: true } })).status).toBe(200);
    expect((await owner.put('/api/alarm/settings', { loudPanic: true })).status).toBe(200);
    // A clip with its snapshot, as the recorder stores one.
    const id = randomUUID();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    const sha = createHash('sha256').update(jpeg).digest('hex');
    await mkdir(join(hub.dataDir, 'clips'), { recursive: true });
    await writeFile(join(hub.dataDir, 'clips', `${id}.jpg`), jpeg);
    await writeFile(join(hub.dataDir, 'clips', `${id}.mp4`), 'clip');
    const now = hub.hub.core.clock.now();
    const clip = { id, cameraId: 'doorbell', trigger: 'person' as const, startTs: now - 5000, endTs: now };
    await hub.hub.core.footage.addClip({
      ...clip,
      path: `clips/${id}.mp4`,
      sha256: sha,
      size: 4,
      snapshotPath: `clips/${id}.jpg`,
      snapshotSha256: sha,
      correlationId: null,
    });
    hub.hub.bus.emit('clip.saved', {
      source: 'recorder',
      clipId: id,
      cameraId: 'doorbell',
      trigger: 'person',
      startTs: now - 5000,
      endTs: now,
      size: 4,
      sha256: sha,
      snapshotSha256: sha,
    });
    await owner.post('/api/panic');
    await arc.waitFor((r) => r.alarms().some((f) => f.code === 'PA'));
    const v = arc
      .alarms()
      .find((f) => f.code === 'PA')
      ?.extended.find((x) => x.startsWith('V'));
    const path = new URL((v ?? 'V').slice(1)).pathname;
    expect((await fetch(`${hub.url}${path}`)).status).toBe(200);

    const { context, page } = await newDevice(browser);
    try {
      page.setDefaultTimeout(15_000);
      await signIn(page, hub.url, OWNER.username, OWNER.password);
      await page.goto(`${hub.url}/consent`);
      const row = page.getByTestId('sent-links').locator('li[data-state]').first();
      await expect.poll(() => row.textContent()).toMatch(/Link to the photo of the help request at .*Opens until .*Opened once/);
      await screenshots(page, 'owner-sent-links');
      await row.getByRole('button', { name: 'Withdraw this link' }).click();
      await expect.poll(() => row.getAttribute('data-state')).toBe('revoked');
      expect(await row.textContent()).toContain('Withdrawn: it no longer opens.');
    } finally {
      await context.close();
    }
    expect((await fetch(`${hub.url}${path}`)).status).toBe(410);
  });
});
