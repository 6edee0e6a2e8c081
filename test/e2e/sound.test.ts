/**
 * Recording sound, end to end on a phone: a real RTSP doorbell sending H.264 and AAC (a clip made
 * here with a white flash and a beep every 2 s, served as encoded), a real hub, real Chromium.
 * The owner reads the Sound card on her Doorbell page, ticks that she understood and says yes:
 * audited with her id, the card says clips keep sound, and the live view (Media Source) then plays
 * the camera's sound with its picture. She takes it back: audited, picture only. A camera the
 * installer did not set for sound has no card and the hub refuses a yes for it. The card says
 * none of the words discreet mode hides, in either mode.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../app/plugins.js';
import { SimRtspServer } from '../../hub/sim/rtsp-server.js';
import { type ApiClient, OWNER, ownerClient } from '../helpers/api-client.js';
import { makeFlashBeepClip } from '../helpers/av-fixture.js';
import { ensureUiBuilt, launchBrowser, newDevice, openPage, PHONE, screenshots, signIn } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../hub/recorder/harness.js';

const FORBIDDEN = /alarm|police|panic|help|sanctuary/i;

interface MediaState {
  t: number;
  paused: boolean;
  muted: boolean;
  audioBytes: number;
  videoBytes: number;
}

function mediaState(page: Page): Promise<MediaState> {
  return page.getByTestId('live-video').evaluate((v: HTMLVideoElement) => {
    // Chromium's counters of what its decoders took in (not in lib.dom).
    const c = v as HTMLVideoElement & { webkitAudioDecodedByteCount?: number; webkitVideoDecodedByteCount?: number };
    return {
      t: v.currentTime,
      paused: v.paused,
      muted: v.muted,
      audioBytes: c.webkitAudioDecodedByteCount ?? -1,
      videoBytes: c.webkitVideoDecodedByteCount ?? -1,
    };
  });
}

describe('e2e: the owner chooses whether her doorbell records sound', () => {
  let dir = '';
  let hub: TestHub;
  let camera: SimRtspServer;
  let browser: Browser;
  let owner: ApiClient;
  let ownerId = '';

  beforeAll(async () => {
    const uiDir = await ensureUiBuilt();
    dir = await mkdtemp(join(tmpdir(), 'sanctuary-sound-e2e-'));
    // rtsp-streaming-server passes the clip's RTP (video and sound) on as encoded, like a camera.
    camera = new SimRtspServer({ kind: 'js', file: await makeFlashBeepClip(dir, 'aac'), audio: 'file' });
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
            // The installer set this one able to record sound.
            record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false, audio: true },
          },
          {
            // Set for sound too (not reachable: only its settings matter here).
            id: 'side-gate',
            name: 'Side gate',
            kind: 'camera',
            source: { type: 'rtsp', mainUrl: 'rtsp://127.0.0.1:9/side-gate', subUrl: null, snapshotUrl: null },
            detect: { enabled: false },
            record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false, audio: true },
          },
          {
            // Not set for sound (and not reachable: only its settings matter here).
            id: 'garden',
            name: 'Garden',
            kind: 'camera',
            source: { type: 'rtsp', mainUrl: 'rtsp://127.0.0.1:9/garden', subUrl: null, snapshotUrl: null },
            detect: { enabled: false },
            record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false },
          },
        ],
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode);
    const session = await owner.get<{ user: { id: string } }>('/api/session');
    ownerId = session.body.user.id;
    expect(ownerId).toMatch(/\S/);
    browser = await launchBrowser();
    await waitFor(
      'the doorbell online',
      async () =>
        (await owner.get<{ cameras: Array<{ id: string; status: { online: boolean } }> }>('/api/cameras')).body.cameras.find(
          (c) => c.id === 'front-door',
        )?.status.online,
      25_000,
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await camera?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function ownerOnDoorbell(): Promise<{ close(): Promise<void>; page: Page }> {
    const { context, page } = await newDevice(browser, PHONE);
    try {
      page.setDefaultTimeout(15_000);
      await signIn(page, hub.url, OWNER.username, OWNER.password);
      await openPage(page, 'Doorbell');
      await page.getByTestId('sound-card').waitFor();
      return { close: () => context.close(), page };
    } catch (err) {
      await context.close();
      throw err;
    }
  }

  async function auditFor(action: string): Promise<Array<{ actor: string; subject: unknown }>> {
    return (await hub.hub.core.audit.entries()).filter((e) => e.action === action) as Array<{ actor: string; subject: unknown }>;
  }

  it('she reads the note, ticks, says yes: audited, clips keep sound, and the live view plays with sound', {
    timeout: 120_000,
  }, async () => {
    const { close, page } = await ownerOnDoorbell();
    try {
      const card = page.getByTestId('sound-card');
      expect(await card.innerText()).toContain('Fairhurst v Woodard');
      expect(await page.getByTestId('sound-status').innerText()).toBe('Clips from this camera are picture only.');
      const record = card.getByRole('button', { name: 'Record sound' });
      expect(await record.isDisabled()).toBe(true);

      // Before she agrees the live view is picture only, even though the camera has sound.
      const view = page.getByTestId('live-view');
      await expect.poll(() => view.getAttribute('data-mode')).toBe('mse');
      await expect.poll(() => view.getAttribute('data-playing'), { timeout: 20_000 }).toBe('true');
      const before = (await view.getAttribute('data-mime')) ?? '';
      expect(before).toContain('avc1.');
      expect(before).not.toContain('mp4a');
      expect(await page.getByRole('button', { name: 'Turn sound on' }).count()).toBe(0);
      expect(await auditFor('camera.sound.agreed')).toEqual([]);

      await card.getByLabel('I have read this and understand it').check();
      expect(await record.isDisabled()).toBe(false);
      await record.click();
      await expect.poll(() => page.getByTestId('sound-status').innerText()).toBe('Clips from this camera keep sound.');
      await card.getByRole('button', { name: 'Stop recording sound' }).waitFor();
      const agreed = await auditFor('camera.sound.agreed');
      expect(agreed).toHaveLength(1);
      expect(agreed[0]?.actor).toBe(ownerId);
      expect(agreed[0]?.subject).toMatchObject({ cameraId: 'front-door' });
      const state = await owner.get<{ recording: boolean; ownerAgreed: boolean | null }>('/api/cameras/front-door/sound');
      expect(state.body).toMatchObject({ recording: true, ownerAgreed: true });

      // The camera reconnects with its sound; the live view gets a new init with AAC in its type.
      await expect.poll(() => view.getAttribute('data-mime'), { timeout: 30_000 }).toMatch(/avc1\.[^"]*,mp4a\.40\.2/);
      await expect.poll(() => view.getAttribute('data-playing'), { timeout: 20_000 }).toBe('true');
      await page.getByText('Front door: live').waitFor();
      // Chromium's audio decoder takes the sound in while the video is muted (autoplay needs muted).
      await expect.poll(async () => (await mediaState(page)).audioBytes, { timeout: 15_000 }).toBeGreaterThan(0);
      const s0 = await mediaState(page);
      expect(s0.muted).toBe(true);
      // Playing: the playhead moves on by more than a second (polled: a busy machine delays it).
      await expect.poll(async () => (await mediaState(page)).t - s0.t, { timeout: 15_000 }).toBeGreaterThan(1);
      const s1 = await mediaState(page);
      expect(s1.paused).toBe(false);
      expect(s1.audioBytes).toBeGreaterThan(s0.audioBytes);
      expect(s1.videoBytes).toBeGreaterThan(s0.videoBytes);

      // Her tap turns the sound on (a user gesture): the video keeps playing, unmuted.
      await page.getByRole('button', { name: 'Turn sound on' }).click();
      await page.getByRole('button', { name: 'Turn sound off' }).waitFor();
      await expect.poll(async () => (await mediaState(page)).t - s1.t, { timeout: 15_000 }).toBeGreaterThan(0.7);
      const s2 = await mediaState(page);
      expect(s2.muted).toBe(false);
      expect(s2.paused).toBe(false);
      expect(s2.audioBytes).toBeGreaterThan(s1.audioBytes);
      await screenshots(page, 'owner-doorbell-sound-on');
    } finally {
      await close();
    }
  });

  it('she stops recording sound: audited, the card says picture only, the live view loses its sound', { timeout: 90_000 }, async () => {
    const { close, page } = await ownerOnDoorbell();
    try {
      const card = page.getByTestId('sound-card');
      expect(await page.getByTestId('sound-status').innerText()).toBe('Clips from this camera keep sound.');
      const view = page.getByTestId('live-view');
      await expect.poll(() => view.getAttribute('data-mime'), { timeout: 20_000 }).toContain('mp4a');
      expect(await auditFor('camera.sound.declined')).toEqual([]);

      await card.getByRole('button', { name: 'Stop recording sound' }).click();
      await expect.poll(() => page.getByTestId('sound-status').innerText()).toBe('Clips from this camera are picture only.');
      const declined = await auditFor('camera.sound.declined');
      expect(declined).toHaveLength(1);
      expect(declined[0]?.actor).toBe(ownerId);
      expect(declined[0]?.subject).toMatchObject({ cameraId: 'front-door' });
      // Saying yes again needs the box ticked again.
      expect(await card.getByRole('checkbox', { name: 'I have read this and understand it' }).isChecked()).toBe(false);
      expect(await card.getByRole('button', { name: 'Record sound' }).isDisabled()).toBe(true);
      const state = await owner.get<{ recording: boolean; ownerAgreed: boolean | null }>('/api/cameras/front-door/sound');
      expect(state.body).toMatchObject({ recording: false, ownerAgreed: false });

      // The camera reconnects without sound: the live view's type has no AAC and it plays on.
      await expect.poll(() => view.getAttribute('data-mime'), { timeout: 30_000 }).not.toContain('mp4a');
      await expect.poll(() => view.getAttribute('data-playing'), { timeout: 20_000 }).toBe('true');
      expect(await view.getAttribute('data-mime')).toContain('avc1.');
      await expect.poll(() => page.getByRole('button', { name: 'Turn sound on' }).count()).toBe(0);
    } finally {
      await close();
    }
  });

  it('her tick is for one camera: on another, she reads and ticks again', { timeout: 60_000 }, async () => {
    const { close, page } = await ownerOnDoorbell();
    try {
      const card = page.getByTestId('sound-card');
      const box = card.getByRole('checkbox', { name: 'I have read this and understand it' });
      await box.check();
      expect(await card.getByRole('button', { name: 'Record sound' }).isDisabled()).toBe(false);
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/cameras/side-gate/sound') && r.request().method() === 'GET');
      await page.getByRole('button', { name: 'Side gate', exact: true }).click();
      expect(await (await answer).json()).toMatchObject({ installerSet: true, ownerAgreed: null, recording: false });
      await card.waitFor();
      expect(await box.isChecked()).toBe(false);
      expect(await card.getByRole('button', { name: 'Record sound' }).isDisabled()).toBe(true);
      expect(await auditFor('camera.sound.agreed')).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('a camera the installer did not set for sound has no Sound card, and the hub refuses a yes for it', { timeout: 60_000 }, async () => {
    const { close, page } = await ownerOnDoorbell();
    try {
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/cameras/garden/sound') && r.request().method() === 'GET');
      await page.getByRole('button', { name: 'Garden', exact: true }).click();
      const res = await answer;
      expect(res.status()).toBe(200);
      expect(await res.json()).toMatchObject({ installerSet: false, recording: false });
      await expect.poll(() => page.getByTestId('live-view').locator('figcaption').innerText()).toContain('Garden');
      expect(await page.getByTestId('sound-card').count()).toBe(0);
      expect(await page.getByRole('heading', { name: 'Sound', exact: true }).count()).toBe(0);

      const refused = await owner.put('/api/cameras/garden/sound', { agree: true, understood: true });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toMatch(/installer/);
      expect((await auditFor('camera.sound.agreed')).map((e) => e.subject)).not.toContainEqual(
        expect.objectContaining({ cameraId: 'garden' }),
      );
      const garden = await owner.get<{ recording: boolean; ownerAgreed: boolean | null }>('/api/cameras/garden/sound');
      expect(garden.body).toMatchObject({ recording: false, ownerAgreed: null });
    } finally {
      await close();
    }
  });

  it('the Sound card says none of alarm, police, panic, help or Sanctuary, in normal or discreet mode', { timeout: 60_000 }, async () => {
    const { close, page } = await ownerOnDoorbell();
    try {
      // Both forms of the card: picture only (as left above) and, through the API, with sound.
      const normal = await page.getByTestId('sound-card').innerText();
      expect(normal).toContain('Fairhurst v Woodard');
      expect(normal.match(FORBIDDEN)?.[0] ?? null, normal).toBeNull();
      expect(await page.locator('header').innerText()).toContain('Sanctuary');

      await openPage(page, 'Settings');
      await page.getByLabel(/Call this app "Notes"/).check();
      await expect.poll(() => page.locator('header').innerText()).not.toMatch(FORBIDDEN);
      await page.locator('nav a[href="/doorbell"]').click();
      const card = page.getByTestId('sound-card');
      await card.waitFor();
      const discreet = await card.innerText();
      expect(discreet).toContain('Fairhurst v Woodard');
      expect(discreet.match(FORBIDDEN)?.[0] ?? null, discreet).toBeNull();

      expect((await owner.put('/api/cameras/front-door/sound', { agree: true, understood: true })).status).toBe(200);
      await page.reload();
      await expect.poll(() => page.getByTestId('sound-status').innerText()).toBe('Clips from this camera keep sound.');
      const withSound = await card.innerText();
      expect(withSound.match(FORBIDDEN)?.[0] ?? null, withSound).toBeNull();
      expect(withSound).toContain('Stop recording sound');
    } finally {
      await close();
    }
  });
});
