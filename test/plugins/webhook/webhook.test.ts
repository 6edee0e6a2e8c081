import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookPlugin } from '../../../plugins/webhook/index.js';
import { ApiClient, INSTALLER, OWNER, ownerClient } from '../../helpers/api-client.js';
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

    // Police consent alone is not enough: the owner switches this destination on too.
    await owner.put('/api/consent', { kinds: { panic: 'automatic' } });
    await owner.post('/api/panic');
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.got).toEqual([]);
    await owner.put('/api/consent', { channels: { webhook: { on: true } } });
    await owner.post('/api/panic');
    await until(() => hook.got.length === 2);
    expect(hook.got.every((g) => g.signatureOk)).toBe(true);
    expect(hook.got.map((g) => g.body.alert?.kind)).toEqual(['panic', 'panic']);
    expect(hook.got[0]?.body.alert?.location).toBeNull();
    expect(t.logs.text()).not.toContain(SECRET);
  });

  it('a webhook the installer set up sends nothing after handover until the owner switches it on, and never a silent alarm', async () => {
    const hook = await webhookServer([]);
    server = hook.server;
    t = await startTestHub({ plugins: [new WebhookPlugin()] });
    const installer = new ApiClient(t.url);
    expect((await installer.post('/api/setup', { code: t.setupCode, ...INSTALLER, role: 'installer' })).status).toBe(200);
    expect((await installer.login(INSTALLER.username, INSTALLER.password)).status).toBe(200);
    // Plain http:// to another machine is refused with a reason naming the field.
    const insecure = await installer.put<{ error: { message: string } }>('/api/plugins/webhook/settings', {
      enabled: true,
      url: 'http://192.0.2.10/hook',
      secret: SECRET,
      police: false,
      channelId: 'home-automation',
    });
    expect(insecure.status).toBe(400);
    expect(insecure.body.error.message).toMatch(/url.*https/);
    const saved = await installer.put('/api/plugins/webhook/settings', {
      enabled: true,
      url: hook.url,
      secret: SECRET,
      police: false,
      channelId: 'home-automation',
    });
    expect(saved.status).toBe(200);
    const handover = await installer.post<{ ownerCode: string }>('/api/installer/handover');
    const owner = new ApiClient(t.url);
    expect((await owner.post('/api/setup', { code: handover.body.ownerCode, ...OWNER, role: 'owner' })).status).toBe(200);
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);

    // The owner sees the installer's webhook on "Where your information goes", switched off.
    type Dest = { id: string; type: string; destination: string; offMachine: boolean; on: boolean; kinds: string[] };
    const listed = (await owner.get<{ destinations: Dest[] }>('/api/egress')).body.destinations;
    // Notifications to her own phones are a destination of their own, off until she switches them on.
    expect(listed.find((d) => d.id === 'push')).toMatchObject({ type: 'notifications', on: false });
    const before = listed.filter((d) => d.id !== 'push');
    expect(before).toEqual([expect.objectContaining({ id: 'home-automation', type: 'channel', offMachine: false, on: false, kinds: [] })]);
    expect(before[0]?.destination).toBe(`${new URL(hook.url).origin}/hook`);

    const tamper = () =>
      t?.hub.bus.emit('sensor.tamper', {
        source: 'mqtt-sensors',
        sensorId: `s-${Math.random().toString(16).slice(2, 8)}`,
        name: 'Front door',
        location: 'Hallway',
        kind: 'door',
        entryRoute: true,
        perimeter: true,
        smartwaterKitCode: null,
        active: true,
      });
    tamper();
    await owner.post('/api/panic');
    await new Promise((r) => setTimeout(r, 400));
    expect(hook.got).toEqual([]);

    // Switched on for tamper and panic: a tamper goes; the (silent, by default) panic and a duress never do.
    const on = await owner.put('/api/consent', { channels: { 'home-automation': { on: true, kinds: ['tamper', 'panic'] } } });
    expect(on.status).toBe(200);
    t.hub.bus.emit('duress', { source: 'alarm', userId: null });
    await owner.post('/api/panic');
    tamper();
    await until(() => hook.got.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.got.map((g) => g.body.alert?.kind)).toEqual(['tamper']);
    const after = (await owner.get<{ destinations: Dest[] }>('/api/egress')).body.destinations;
    expect(after[0]).toMatchObject({ on: true, kinds: ['tamper', 'panic'] });
    // Only the owner changes consent, and every change is in the audit chain.
    expect((await installer.put('/api/consent', { channels: { 'home-automation': { on: false } } })).status).toBe(401);
    const audit = (await t.hub.core.audit.entries()).filter((e) => e.action === 'consent.changed');
    expect(audit).toHaveLength(1);
    const test = await owner.post<{ ok: boolean; police: boolean }>('/api/alerts/test', { channel: 'home-automation' });
    expect(test.body).toMatchObject({ ok: true, police: false });
    expect(hook.got.at(-1)?.body.type).toBe('test');
  });
});
