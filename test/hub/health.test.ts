import { afterEach, describe, expect, it } from 'vitest';
import { ownerClient } from '../helpers/api-client.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

describe('GET /api/health', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('tells anyone only that the hub is up, and the owner every component', async () => {
    t = await startTestHub();
    const anon = await fetch(`${t.url}/api/health`);
    expect(anon.status).toBe(200);
    const anonText = await anon.text();
    expect(JSON.parse(anonText)).toEqual({ up: true });
    const owner = await ownerClient(t.url, t.setupCode);
    const res = await fetch(`${t.url}/api/health`, { headers: { cookie: owner.sessionCookie ?? '' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; components: Record<string, { status: string; message: string }> };
    expect(body.status).toBe('ok');
    for (const name of ['database', 'broker', 'http', 'disk', 'clock', 'ffmpeg']) {
      expect(body.components[name]?.status, name).toBe('ok');
    }
    expect(body.components.ffmpeg?.message).toMatch(/ffmpeg \S+/);
  });

  it('is in setup mode with a one-time setup code and no accounts', async () => {
    t = await startTestHub();
    expect(t.setupCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const infoText = await (await fetch(`${t.url}/api`)).text();
    const info = JSON.parse(infoText) as { mode: string };
    expect(info.mode).toBe('setup');
    // Nothing public names the product or the home.
    expect(infoText).not.toMatch(/sanctuary/i);
    expect(Object.keys(info).sort()).toEqual(['hubFingerprint', 'mode']);
    expect(await t.hub.core.accounts.users()).toEqual([]);
  });
});
