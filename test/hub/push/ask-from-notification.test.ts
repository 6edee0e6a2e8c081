/**
 * "Ask me first" answered from the notification's buttons, as the service worker does it from a
 * locked phone: no cookie, the one-time token from the decrypted payload and the device's own
 * push endpoint. The answer reaches the ARC, is audited, cannot be replayed, and the question's
 * time starts when the push service accepted the notification.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import { PushServiceTestPeer } from '../../helpers/push-service.js';
import { allAlerts, signIn, sleep, until } from '../alerts/alert-hub.js';
import { notificationsOn, startPushHub, subscribeDevice } from './push-hub.js';

async function answer(url: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  // What sw.js sends: credentials omitted, so no session and no CSRF token.
  const r = await fetch(`${url}/api/push/actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('"ask me first" from the lock screen', () => {
  let t: TestHub | null = null;
  let peer: PushServiceTestPeer | null = null;
  let receiver: Dc09TestReceiver | null = null;

  afterEach(async () => {
    await t?.close();
    await peer?.stop();
    await receiver?.stop();
    t = null;
    peer = null;
    receiver = null;
  });

  async function setup(askTimeoutSeconds = 2) {
    peer = new PushServiceTestPeer();
    await peer.start();
    receiver = new Dc09TestReceiver();
    await receiver.start();
    t = await startPushHub({ peer, receiver, alerts: { askTimeoutSeconds } });
    const owner = await signIn(t);
    await notificationsOn(owner, peer, { kinds: { intrusion: 'ask', tamper: 'ask' }, channels: { arc: { on: true } } });
    return { peer, receiver, t, owner };
  }

  it('"Send to police" from the notification reaches the ARC once; the token cannot be replayed or used from another device', async () => {
    const { peer, receiver, t, owner } = await setup(30);
    const phone = peer.subscribe();
    const laptop = peer.subscribe();
    await subscribeDevice(owner, phone, false);
    await subscribeDevice(owner, laptop, false, 'Firefox on Linux');
    t.hub.bus.emit('intrusion.confirmed', { source: 'confirmation', how: 'video', triggers: ['front-door', 'camera:doorbell'] });
    await peer.waitFor((p) => p.for(phone.id).length === 1 && p.for(laptop.id).length === 1);
    const got = peer.for(phone.id)[0]?.payload ?? {};
    expect(got.title).toBe('Tell the police?');
    expect(got.body).toMatch(/^Confirmed intrusion .*within 30 s; if you do not answer, nothing is sent\.$/);
    expect(got.requireInteraction).toBe(true);
    const token = String(got.actionToken);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Nothing was sent yet: the alert waits for her.
    expect(receiver.frames).toEqual([]);

    // The phone's token used with the laptop's endpoint: refused (the token is bound to the phone).
    expect((await answer(t.url, { token, action: 'send', endpoint: laptop.endpoint })).status).toBe(403);
    // A made-up token: refused with the same words.
    const guessed = await answer(t.url, { token: 'A'.repeat(43), action: 'send', endpoint: phone.endpoint });
    expect(guessed.status).toBe(403);

    const r = await answer(t.url, { token, action: 'send', endpoint: phone.endpoint });
    expect(r.status).toBe(200);
    expect(r.body.status).toMatch(/queued|sending|sent|acknowledged/);
    await receiver.waitFor((x) => x.alarms().length === 1, 8000);
    expect(receiver.alarms()[0]?.code).toBe('BA');
    const [alert] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'acknowledged',
    );
    expect(alert?.kind).toBe('intrusion');

    // Replayed: the token is spent. The laptop's own token cannot answer a decided question either.
    expect((await answer(t.url, { token, action: 'send', endpoint: phone.endpoint })).status).toBe(409);
    const laptopToken = String(peer.for(laptop.id)[0]?.payload.actionToken);
    expect(laptopToken).not.toBe(token);
    expect((await answer(t.url, { token: laptopToken, action: 'dismiss', endpoint: laptop.endpoint })).status).toBe(409);
    await sleep(300);
    expect(receiver.alarms()).toHaveLength(1);

    // Audited: which device answered, and what.
    const audit = (await owner.get<{ entries: Array<{ action: string; subject: Record<string, unknown> }> }>('/api/audit')).body.entries;
    const answered = audit.filter((e) => e.action === 'push.answered');
    expect(answered).toHaveLength(1);
    expect(answered[0]?.subject).toMatchObject({ alertId: alert?.id, answer: 'send', device: 'Chrome on Android' });
    expect(audit.some((e) => e.action === 'alert.consented')).toBe(true);
  });

  it('"Don\'t send" keeps it at home; a removed device\'s token stops working', async () => {
    const { peer, receiver, t, owner } = await setup(30);
    const phone = peer.subscribe();
    const old = peer.subscribe();
    await subscribeDevice(owner, phone, true);
    const oldId = await subscribeDevice(owner, old, false, 'Old phone');
    t.hub.bus.emit('intrusion.confirmed', { source: 'confirmation', how: 'two_detectors', triggers: ['front-door', 'back-window'] });
    await peer.waitFor((p) => p.for(phone.id).length === 1 && p.for(old.id).length === 1);
    // The old phone is removed (lost, or someone else has it): its token is void at once.
    expect((await owner.delete(`/api/push/subscriptions/${oldId}`)).status).toBe(204);
    const oldToken = String(peer.for(old.id)[0]?.payload.actionToken);
    expect((await answer(t.url, { token: oldToken, action: 'send', endpoint: old.endpoint })).status).toBe(403);

    const token = String(peer.for(phone.id)[0]?.payload.actionToken);
    const r = await answer(t.url, { token, action: 'dismiss', endpoint: phone.endpoint });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('refused');
    await sleep(300);
    expect(receiver.frames).toEqual([]);
  });

  it('the question’s time starts when the push service accepted it, not when the alert was raised', async () => {
    const { peer, t, owner } = await setup(2);
    const phone = peer.subscribe();
    await subscribeDevice(owner, phone, false);
    // The push service is busy for the first tries: delivery comes later than the alert.
    let tries = 0;
    peer.respond = () => (++tries <= 3 ? 503 : null);
    t.hub.bus.emit('sensor.tamper', {
      source: 'mqtt-sensors',
      sensorId: 'front-door',
      name: 'Front door',
      location: 'Hallway',
      kind: 'door',
      entryRoute: false,
      perimeter: true,
      smartwaterKitCode: null,
      active: true,
    });
    await peer.waitFor((p) => p.received.some((r) => r.payload.title === 'Tell the police?'), 8000);
    const db = t.hub.core.db;
    const sent = await until(
      () => db.get<{ sent_at: number | null }>("SELECT sent_at FROM push_deliveries WHERE kind = 'ask'"),
      (d) => typeof d?.sent_at === 'number',
    );
    // The hub records the acceptance, then moves the question's deadline.
    const row = await until(
      () => db.get<{ created_at: number; ask_expires_at: number; status: string }>("SELECT * FROM alerts WHERE kind = 'tamper'"),
      (a) => a !== undefined && a.ask_expires_at === (sent?.sent_at ?? 0) + 2000,
    );
    expect(tries).toBeGreaterThanOrEqual(4);
    expect(row?.status).toBe('awaiting_consent');
    // Three refusals with 100, 200 and 400 ms of backoff before the push service took it.
    expect((sent?.sent_at ?? 0) - (row?.created_at ?? 0)).toBeGreaterThanOrEqual(500);
    expect(row?.ask_expires_at).toBe((sent?.sent_at ?? 0) + 2000);
  });
});
