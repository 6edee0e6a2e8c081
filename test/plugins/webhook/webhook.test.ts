import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookPlugin } from '../../../plugins/webhook/index.js';
import { ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

const SECRET = 'a-long-shared-secret-for-tests';

interface Received {
  body: { type: string; alert?: { kind: string; location: string | null } };
  signatureOk: boolean;
}

async function webhookServer(answers: number[]): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    req.on('end', () => {
      const ts = String(req.headers['x-sanctuary-timestamp']);
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')}`;
      got.push({ body: JSON.parse(raw) as Received['body'], signatureOk: req.headers['x-sanctuary-signature'] === expected });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('webhook alert channel', () => {
  let t: TestHub | null = null;
  let server: Server | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  });

  it('a police webhook is consent-gated, signed with HMAC-SHA256, and retried after a 500', async () => {
    const hook = await webhookServer([500]);
    server = hook.server;
    t = await startTestHub({
      config: { alerts: { retryInitialMs: 100 }, plugins: { webhook: { enabled: true, url: hook.url, secret: SECRET, police: true } } },
      plugins: [new WebhookPlugin()],
    });
    const owner = await ownerClient(t.url, t.setupCode);
    await owner.post('/api/panic');
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.got).toEqual([]); // consent is "never" by default

    await owner.put('/api/consent', { kinds: { panic: 'automatic' } });
    await owner.post('/api/panic');
    await until(() => hook.got.length === 2);
    expect(hook.got.every((g) => g.signatureOk)).toBe(true);
    expect(hook.got.map((g) => g.body.alert?.kind)).toEqual(['panic', 'panic']);
    expect(hook.got[0]?.body.alert?.location).toBeNull();
    expect(t.logs.text()).not.toContain(SECRET);
  });

  it('a non-police webhook (home automation) needs no consent but never hears of duress', async () => {
    const hook = await webhookServer([]);
    server = hook.server;
    t = await startTestHub({
      config: { plugins: { webhook: { enabled: true, url: hook.url, secret: SECRET, police: false, channelId: 'home-automation' } } },
      plugins: [new WebhookPlugin()],
    });
    const owner = await ownerClient(t.url, t.setupCode);
    t.hub.bus.emit('duress', { source: 'alarm', userId: null });
    await owner.post('/api/panic');
    await until(() => hook.got.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(hook.got.map((g) => g.body.alert?.kind)).toEqual(['panic']);
    const test = await owner.post<{ ok: boolean; police: boolean }>('/api/alerts/test', { channel: 'home-automation' });
    expect(test.body).toMatchObject({ ok: true, police: false });
    expect(hook.got.at(-1)?.body.type).toBe('test');
  });
});
