import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';

describe('GET /api/health', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('reports each component of a fresh hub as ok', async () => {
    t = await startTestHub();
    const res = await fetch(`${t.url}/api/health`);
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
    const info = (await (await fetch(`${t.url}/api`)).json()) as { mode: string };
    expect(info.mode).toBe('setup');
    expect(await t.hub.core.accounts.users()).toEqual([]);
  });
});
