/**
 * Real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) for the UI tests,
 * the built UI (built once, only when its sources changed, serialised across test files), and
 * screenshots at phone and desktop sizes saved under test-artifacts/screenshots/.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const run = promisify(execFile);
const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const UI_SRC = join(ROOT, 'ui');
export const UI_DIST = join(ROOT, 'dist', 'ui');
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');
const LOCK = join(ROOT, 'dist', '.ui-build.lock');

export const PHONE = { width: 390, height: 844 };
export const SMALL_PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, await newestMtime(p));
    else newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

async function builtAt(): Promise<number> {
  try {
    return (await stat(join(UI_DIST, 'index.html'))).mtimeMs;
  } catch {
    return 0;
  }
}

/** Build the UI into dist/ui unless it is newer than every file under ui/. Returns the dist dir. */
export async function ensureUiBuilt(): Promise<string> {
  await mkdir(join(ROOT, 'dist'), { recursive: true });
  // A directory is created atomically: whoever makes it builds; the others wait for it to go.
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // The lock may vanish between mkdir and stat (its builder just finished): then it is not stale.
      const lockTime = await stat(LOCK).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      );
      const age = Date.now() - lockTime;
      if (age > 120_000) await rm(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another UI build');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if ((await builtAt()) < (await newestMtime(UI_SRC))) {
      await run('npx', ['vite', 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, timeout: 120_000 });
    }
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
  return UI_DIST;
}

/**
 * `trustSpki`: base64 SHA-256 of a certificate's public key (a hub's `tls.spkiSha256`). Chromium
 * then accepts that hub's certificate, and only it, like a phone that installed the hub's CA.
 */
export async function launchBrowser(opts: { trustSpki?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      ...(opts.trustSpki ? [`--ignore-certificate-errors-spki-list=${opts.trustSpki}`] : []),
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh context (its own cookies and storage, like a separate device) at phone size. */
export async function newDevice(
  browser: Browser,
  viewport = PHONE,
  opts: { touch?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport,
    acceptDownloads: true,
    reducedMotion: 'reduce',
    ...(opts.touch ? { hasTouch: true, isMobile: true } : {}),
  });
  const page = await context.newPage();
  // Anything the app logs as an error is worth seeing in the test output.
  page.on('pageerror', (err) => process.stderr.write(`[browser pageerror] ${err.message}\n`));
  return { context, page };
}

/**
 * A screenshot of the whole page, not just the screen. The owner's dock (help and navigation) is
 * fixed to the bottom of the screen, and a capture taller than the screen paints it wherever the
 * screen was scrolled to, over the middle of the page. For the capture it is put after the page
 * (and the room kept for it under the page dropped), so every word of the page shows and the dock
 * shows once, at the end; then it is put back. (Through the elements' style properties: the hub's
 * content security policy refuses a style sheet added to the page, so Playwright's `style` option
 * would silently do nothing.)
 */
export async function fullPageShot(page: Page, path: string): Promise<void> {
  const moved = await page.evaluate(() => {
    const dock = document.querySelector<HTMLElement>('.dock');
    const main = document.querySelector<HTMLElement>('.shell.with-dock main');
    if (!dock || !main) return false;
    dock.style.position = 'static';
    main.style.paddingBottom = '1rem';
    return true;
  });
  try {
    await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  } finally {
    if (moved)
      await page.evaluate(() => {
        document.querySelector<HTMLElement>('.dock')?.style.removeProperty('position');
        document.querySelector<HTMLElement>('.shell.with-dock main')?.style.removeProperty('padding-bottom');
      });
  }
}

/** Save the page at phone and desktop sizes as `<name>-phone.png` and `<name>-desktop.png`. */
export async function screenshots(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize() ?? PHONE;
  for (const [label, size] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    await page.setViewportSize(size);
    await fullPageShot(page, join(SCREENSHOT_DIR, `${name}-${label}.png`));
  }
  await page.setViewportSize(original);
}

export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

/**
 * Open one of the signed-in user's pages by its navigation label. The owner's bottom navigation
 * holds the main pages; the others are one tap further, under "More".
 */
export async function openPage(page: Page, label: string): Promise<void> {
  const direct = page.getByRole('navigation').getByRole('link', { name: label, exact: true });
  if ((await direct.count()) === 0) {
    await page.getByRole('navigation').getByRole('link', { name: 'More', exact: true }).click();
    await page
      .getByTestId('more-pages')
      .getByRole('link', { name: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) })
      .click();
    return;
  }
  await direct.click();
}
