import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/ports.js';

describe('event timeline and live feed', () => {
  let t: TestHub | null = null;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t?.close();
    t = null;
  });

  it('never shows a duress disarm or a silent panic (or their alerts) to anyone holding the phone, but shows the rest by role', async () => {
    t = await startTestHub({ modules: [] });
    const owner = await ownerClient(t.url, t.setupCode);
    const installer = await invitedClient(t.url, owner, 'installer', 'ivy');
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/ws`, { headers: { cookie: owner.sessionCookie ?? '' } });
    sockets.push(ws);
    const received: string[] = [];
    ws.on('message', (m: Buffer) => {
      const msg = JSON.parse(m.toString()) as { type: string; name?: string };
      if (msg.type === 'event' && msg.name) received.push(msg.name);
    });
    await new Promise((r) => ws.once('open', r));
    await waitFor(() => ws.readyState === WebSocket.OPEN, 'socket open');
    const bus = t.hub.bus;
    const duress = bus.emit('duress', { source: 'alarm', userId: null });
    bus.emit('alert.raised', {
      source: 'alerts',
      alertId: 'a1',
      kind: 'duress',
      status: 'queued',
      silent: true,
      correlationId: duress.correlationId,
    });
    const covert = bus.emit('panic', { source: 'alarm', origin: 'api', userId: null, loud: false });
    bus.emit('alert.raised', {
      source: 'alerts',
      alertId: 'a3',
      kind: 'panic',
      status: 'queued',
      silent: true,
      correlationId: covert.correlationId,
    });
    bus.emit('alert.raised', { source: 'alerts', alertId: 'a2', kind: 'panic', status: 'queued', silent: false });
    bus.emit('sensor.opened', {
      source: 'mqtt-sensors',
      sensorId: 'front',
      name: 'Front door',
      location: 'Hall',
      kind: 'door',
      entryRoute: true,
      perimeter: true,
      smartwaterKitCode: null,
    });
    await waitFor(() => received.includes('sensor.opened'), 'sensor event on the feed');
    expect(received).toEqual(['alert.raised', 'sensor.opened']);

    const timeline = await owner.get<{ events: Array<{ name: string; payload: { kind?: string } }> }>('/api/events');
    const names = timeline.body.events.map((e) => `${e.name}${e.payload.kind ? `:${e.payload.kind}` : ''}`);
    expect(names).toContain('alert.raised:panic');
    expect(names).toContain('sensor.opened:door');
    expect(names.some((n) => n.includes('duress'))).toBe(false);
    expect(names.filter((n) => n.startsWith('panic') || n === 'alert.raised:panic')).toEqual(['alert.raised:panic']);

    const instTimeline = await installer.get<{ events: Array<{ name: string }> }>('/api/events');
    const instNames = instTimeline.body.events.map((e) => e.name);
    expect(instNames).toContain('sensor.opened');
    expect(instNames.filter((n) => !n.startsWith('health.') && !n.startsWith('hub.') && !n.startsWith('sensor.'))).toEqual([]);

    // Unauthenticated sockets are closed with 4401.
    const anon = new WebSocket(`${t.url.replace('http', 'ws')}/api/ws`);
    sockets.push(anon);
    const code = await new Promise<number>((resolve) => anon.once('close', (c) => resolve(c)));
    expect(code).toBe(4401);
  });
});
