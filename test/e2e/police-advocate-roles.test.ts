/**
 * Police, advocates and the owner in real browsers: an officer joins by invite and asks for
 * footage, the owner approves, the officer downloads the package and `sanctuary verify` passes on
 * it; the owner shares an incident log with an advocate; each role is refused the others' pages
 * and API calls.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../app/plugins.js';
import type { VisitView } from '../../hub/api/visits.js';
import { ZigbeeSim } from '../../hub/sim/zigbee-sensors.js';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, screenshots, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

const POLICE = { username: 'pc.jones', password: 'police pass 12345' };
const ADVOCATE = { username: 'ada.advocate', password: 'advocate pass 123' };

function runVerify(zip: string, fingerprint: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['--import', 'tsx', 'app/main.ts', 'verify', zip, '--fingerprint', fingerprint],
      { cwd: process.cwd() },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** Call the API from inside the page, as the app would (cookie + CSRF header). */
async function apiFromPage(page: Page, method: string, path: string): Promise<{ status: number; code: string | null }> {
  return page.evaluate(
    async ([m, p]) => {
      const s = (await (await fetch('/api/session')).json()) as { csrfToken: string };
      const r = await fetch(p as string, {
        method: m as string,
        headers: { 'x-csrf-token': s.csrfToken, 'content-type': 'application/json' },
        ...(m === 'GET' ? {} : { body: '{}' }),
      });
      const text = await r.text();
      const body = (text.startsWith('{') ? JSON.parse(text) : null) as { error?: { code: string } } | null;
      return { status: r.status, code: body?.error?.code ?? null };
    },
    [method, path],
  );
}

async function acceptInvite(page: Page, url: string, code: string, who: { username: string; password: string }): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByRole('link', { name: 'I have an invite code' }).click();
  await page.getByLabel('Invite code').fill(code);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Go to sign in' }).click();
  await signIn(page, url, who.username, who.password);
}

describe('e2e: police request, approval, download and verify; advocate logs; role guards', () => {
  let hub: TestHub;
  let sim: ZigbeeSim;
  let browser: Browser;
  let owner: ApiClient;
  const devices: Record<'owner' | 'police' | 'advocate', { context: BrowserContext; page: Page } | null> = {
    owner: null,
    police: null,
    advocate: null,
  };

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    hub = await startTestHub({
      uiDir,
      plugins: builtinPlugins(),
      config: {
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
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    sim = new ZigbeeSim(hub.mqttUrl);
    await sim.start();
    // Some history for the incident log and the evidence window.
    await sim.report('front_door');
    await sim.open('front_door');
    await sim.close('front_door');
    browser = await launchBrowser();
    for (const role of ['owner', 'police', 'advocate'] as const) {
      devices[role] = await newDevice(browser);
      devices[role].page.setDefaultTimeout(10_000);
    }
  }, 120_000);

  afterAll(async () => {
    for (const d of Object.values(devices)) await d?.context.close();
    await browser?.close();
    await sim?.stop();
    await hub?.close();
  });

  const page = (role: keyof typeof devices): Page => {
    const d = devices[role];
    if (!d) throw new Error(`no ${role} device`);
    return d.page;
  };

  it('the owner invites a police officer and an advocate from Settings; they join with the codes', async () => {
    const o = page('owner');
    await signIn(o, hub.url, OWNER.username, OWNER.password);
    await openPage(o, 'Settings');
    const codes: Record<string, string> = {};
    for (const [role, name] of [
      ['police', 'PC Jones'],
      ['advocate', 'Ada'],
    ] as const) {
      await o.getByLabel('Their role').selectOption(role);
      await o.getByLabel('Their name').fill(name);
      await o.getByRole('button', { name: 'Make an invite code' }).click();
      await expect.poll(async () => (await o.getByTestId('invite-code').textContent()) ?? '').not.toBe(codes.police ?? '');
      codes[role] = (await o.getByTestId('invite-code').textContent()) ?? '';
    }
    await acceptInvite(page('police'), hub.url, codes.police ?? '', POLICE);
    expect(new URL(page('police').url()).pathname).toBe('/police/requests');
    await acceptInvite(page('advocate'), hub.url, codes.advocate ?? '', ADVOCATE);
    expect(new URL(page('advocate').url()).pathname).toBe('/advocate/logs');
  });

  it('police ask for footage; the owner approves; police download the package and sanctuary verify passes', async () => {
    const p = page('police');
    await p.getByRole('navigation').getByRole('link', { name: 'New request' }).click();
    await p.getByLabel('Police force').fill('Thames Valley Police');
    await p.getByLabel('Officer name').fill('PC Jones');
    await p.getByLabel('Collar / warrant number').fill('TV4471');
    await p.getByLabel('Crime reference').fill('43/12345/26');
    await p.getByLabel('Offence').fill('Breach of a non-molestation order');
    await p.getByLabel('Why you need it').fill('The victim reported the suspect at the front door this evening.');
    await screenshots(p, 'police-new-request');
    await p.getByRole('button', { name: 'Send request' }).click();
    const list = p.getByTestId('police-requests');
    await expect.poll(() => list.textContent()).toContain('Waiting for the occupant');
    await screenshots(p, 'police-requests');

    const o = page('owner');
    await openPage(o, 'Police requests');
    const inbox = o.getByTestId('requests');
    await expect.poll(() => inbox.textContent()).toContain('43/12345/26');
    // Before deciding, the owner sees what recorded footage exists for the window, per camera.
    await expect.poll(() => inbox.getByTestId('request-footage').textContent()).toMatch(/s recorded of \d+ s|nothing recorded to share/);
    await screenshots(o, 'owner-requests');
    await inbox.getByRole('button', { name: 'Approve all' }).click();
    await expect.poll(() => inbox.locator('li[data-status="approved"]').count()).toBe(1);

    await p.getByRole('button', { name: 'Refresh' }).click();
    await p.getByRole('button', { name: 'Get download link' }).click({ timeout: 30_000 });
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('download-link').click()]);
    const zip = join(hub.dataDir, 'downloaded-package.zip');
    await download.saveAs(zip);
    expect((await readFile(zip)).subarray(0, 2).toString()).toBe('PK');
    // The officer was shown the zip's SHA-256 to note before downloading: it is the file's.
    const shown = (await p.getByTestId('package-sha256').locator('code').first().textContent()) ?? '';
    expect(shown).toBe(
      createHash('sha256')
        .update(await readFile(zip))
        .digest('hex'),
    );
    const identity = await owner.get<{ fingerprint: string }>('/api/identity');
    const verdict = await runVerify(zip, identity.body.fingerprint);
    expect(verdict.out).toContain('for crime reference 43/12345/26');
    expect(verdict.out).toContain('VERIFIED  every file, the signature and the custody chain hold');
    expect(verdict.code).toBe(0);
  }, 90_000);

  it('the owner makes an incident log from chosen events and shares it; the advocate sees only that', async () => {
    const o = page('owner');
    await openPage(o, 'Incident logs');
    await o.getByLabel('Title').fill('Front door, this week');
    const picks = o.locator('.pick-list .check');
    // The door's activity is offered as visits (each picks all its events), first in the list.
    await expect.poll(() => picks.count()).toBeGreaterThan(0);
    const visits = (await owner.get<{ visits: VisitView[] }>('/api/visits?limit=100&for=incident-log')).body.visits.filter(
      (v) => v.eventSeqs.length > 0,
    );
    const visit = visits[0];
    if (!visit) throw new Error('the door opening and closing made no visit');
    const row = picks.nth(0);
    expect(await row.locator('label').textContent()).toMatch(/ · Visit: Front door opened/);
    await row.locator('input[type="checkbox"]').check();
    // Ticking the visit picks exactly its events (the door opening and closing), no more.
    expect(visit.eventSeqs.length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => o.locator('.pick-list legend').textContent()).toContain(`(${visit.eventSeqs.length} events chosen)`);
    await o.getByLabel('Ada', { exact: true }).check();
    await o.getByRole('button', { name: 'Make the log' }).click();
    await expect.poll(() => o.getByTestId('incident-logs').textContent()).toContain('Front door, this week');
    await screenshots(o, 'owner-incident-logs');

    const a = page('advocate');
    await a.reload();
    await expect.poll(() => a.getByTestId('shared-logs').textContent()).toContain('Front door, this week');
    await screenshots(a, 'advocate-logs');
  });

  it('each role is refused the others pages (client guard) and API calls (server)', async () => {
    const cases: Array<[keyof typeof devices, string]> = [
      ['police', '/home'],
      ['police', '/install/cameras'],
      ['police', '/advocate/logs'],
      ['advocate', '/police/new'],
      ['advocate', '/requests'],
      ['owner', '/install/handover'],
      ['owner', '/police/new'],
    ];
    for (const [role, path] of cases) {
      const pg = page(role);
      await pg.goto(`${hub.url}${path}`);
      await expect.poll(() => pg.getByTestId('refused').textContent(), { message: `${role} on ${path}` }).toContain('not available');
    }
    await screenshots(page('police'), 'refused');

    const api: Array<[keyof typeof devices, string, string]> = [
      ['police', 'GET', '/api/alarm'],
      ['police', 'GET', '/api/events'],
      ['police', 'GET', '/api/devices'],
      ['police', 'POST', '/api/panic'],
      ['police', 'GET', '/api/incident-logs'],
      ['advocate', 'GET', '/api/requests'],
      ['advocate', 'GET', '/api/alarm'],
      ['advocate', 'GET', '/api/users'],
      ['owner', 'POST', '/api/installer/handover'],
      ['owner', 'POST', '/api/requests'],
    ];
    for (const [role, method, path] of api) {
      const r = await apiFromPage(page(role), method, path);
      expect({ role, method, path, ...r }).toEqual({ role, method, path, status: 403, code: 'HUB_ERR_FORBIDDEN' });
    }
  });
});
