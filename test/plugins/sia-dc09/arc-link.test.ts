/**
 * The ARC link as real receivers behave, against the suite's own DC-09 receiver: queued alerts
 * released by the first acknowledged link test after an outage, DUH resent until the ARC fixes
 * its key, NAKs with the fields in pysiaalarm's order, hex and text keys, and a test signal that
 * says what went wrong.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { invitedClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import { allAlerts, FRONT_DOOR, sensorRef, setConsent, signIn, startAlertHub, until } from '../../hub/alerts/alert-hub.js';

interface TestSignal {
  ok: boolean;
  outcome?: string;
  detail: string;
}

describe('sia-dc09 against receivers as they really are', () => {
  const receivers: Dc09TestReceiver[] = [];
  const hubs: TestHub[] = [];

  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const r of receivers.splice(0)) await r.stop();
  });

  async function receiver(opts: ConstructorParameters<typeof Dc09TestReceiver>[0] = {}): Promise<Dc09TestReceiver> {
    const r = new Dc09TestReceiver(opts);
    await r.start();
    receivers.push(r);
    return r;
  }

  async function hub(o: Parameters<typeof startAlertHub>[0]): Promise<TestHub> {
    const t = await startAlertHub(o);
    hubs.push(t);
    return t;
  }

  it('queued alerts go right after the first acknowledged link test, in order, long before their backoff', async () => {
    const arc = await receiver();
    // A one-minute backoff: only the link test can explain a delivery within the test's time.
    const t = await hub({ receiver: arc, alerts: { retryInitialMs: 60_000, retryMaxSeconds: 600 }, sia: { linkTestSeconds: 1 } });
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic', tamper: 'automatic' } });
    await arc.waitFor((r) => r.linkTests().length >= 1);
    await arc.stop();

    await owner.post('/api/panic');
    t.hub.bus.emit('sensor.tamper', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR), active: true });
    const queued = await until(
      () => allAlerts(t),
      (l) => l.length === 2 && l[1]?.deliveries[0]?.status === 'failed',
    );
    // The covert panic is not on the owner's screens: read its delivery as the evidence export does.
    const panicDelivery = queued[1]?.deliveries[0] as { nextAttemptAt: number | null; failedAt: number | null } | undefined;
    expect((panicDelivery?.nextAttemptAt ?? 0) - (panicDelivery?.failedAt ?? 0)).toBeGreaterThanOrEqual(60_000);
    const framesBefore = arc.frames.length;

    await arc.start(); // same port: the ARC is back
    await arc.waitFor((r) => r.alarms().length === 2, 10_000);
    const since = arc.frames.slice(framesBefore);
    const firstTest = since.findIndex((f) => f.id === 'NULL' && f.response === 'ACK');
    expect(firstTest).toBeGreaterThanOrEqual(0);
    // Released by that link test: the next frames are the queued alerts, oldest first, once each.
    expect(since.slice(firstTest + 1, firstTest + 3).map((f) => `${f.code}/${f.response}`)).toEqual(['PA/ACK', 'TA/ACK']);
    expect(since.filter((f) => f.id !== 'NULL').map((f) => f.code)).toEqual(['PA', 'TA']);
    // Well before the backoff would have resent it (the hub runs on the real clock here).
    expect(since[firstTest + 1]?.receivedAt ?? Number.POSITIVE_INFINITY).toBeLessThan(panicDelivery?.nextAttemptAt ?? 0);
    const done = await until(
      () => allAlerts(t),
      (l) => l.every((a) => a.status === 'acknowledged'),
    );
    expect(done.map((a) => a.deliveries[0]?.attempts)).toEqual([1, 2]);
  });

  it('with regular link tests off, outage probes find the ARC back and its ACK releases the queue', async () => {
    const arc = await receiver();
    const t = await hub({
      receiver: arc,
      alerts: { retryInitialMs: 60_000, retryMaxSeconds: 600 },
      sia: { linkTestSeconds: 0, outageProbeSeconds: 0.3 },
    });
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' } });
    await arc.stop();
    await owner.post('/api/panic');
    await until(
      () => allAlerts(t),
      (l) => l[0]?.deliveries[0]?.status === 'failed',
    );
    await arc.start();
    await arc.waitFor((r) => r.alarms().length === 1, 10_000);
    // Nothing but the probe could have brought it: no regular link tests, a one-minute backoff.
    expect(arc.frames.map((f) => `${f.id === 'NULL' ? 'NULL' : f.code}/${f.response}`)).toEqual(['NULL/ACK', 'PA/ACK']);
  });

  it('a DUH is resent with backoff and gets through once the ARC fixes its key', async () => {
    const key = randomBytes(16);
    const arc = await receiver({ key: randomBytes(16) }); // the ARC typed a different key
    const t = await hub({ receiver: arc, sia: { key: key.toString('hex') } });
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' } });
    await owner.post('/api/panic');
    await arc.waitFor((r) => r.frames.filter((f) => f.response === 'DUH').length >= 2);
    const [waiting] = await allAlerts(t);
    expect(waiting?.status).not.toBe('acknowledged');
    expect(waiting?.deliveries[0]?.detail).toMatch(/DUH.*check the key/);

    arc.key = key; // the ARC corrects its side
    await arc.waitFor((r) => r.alarms().length === 1);
    const pa = arc.frames.filter((f) => f.id === 'SIA-DCS');
    expect(pa.at(-1)).toMatchObject({ code: 'PA', response: 'ACK', encrypted: true, unreadable: false });
    // The same message each time: one sequence number for every resend.
    expect(new Set(pa.map((f) => f.seq)).size).toBe(1);
    const [a] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'acknowledged',
    );
    expect(a?.deliveries[0]?.attempts).toBeGreaterThanOrEqual(3);
  });

  it('DUH after the bounded resends becomes a health problem the installer sees', async () => {
    const arc = await receiver({ key: randomBytes(16) });
    const t = await hub({ receiver: arc, sia: { key: randomBytes(16).toString('hex'), duhRetries: 2 } });
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' } });
    await owner.post('/api/panic');
    const [a] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'failed' && l[0].deliveries[0]?.detail.includes('gave up') === true,
    );
    expect(a?.deliveries[0]?.attempts).toBe(3);
    expect(arc.frames.filter((f) => f.response === 'DUH')).toHaveLength(3);
    const installer = await invitedClient(t.url, owner, 'installer', 'ivy');
    const health = await installer.get<{ components: Array<{ component: string; status: string; message: string }> }>('/api/health');
    const arcHealth = JSON.stringify(health.body);
    expect(arcHealth).toMatch(/plugin:sia-dc09/);
    expect(arcHealth).toMatch(/Check the key and account with the ARC/);
  });

  it('reads a NAK written with the line before the receiver (pysiaalarm) and adopts its clock', async () => {
    const arc = await receiver({ clockOffsetMs: 10 * 60_000 });
    arc.fieldOrder = 'line-first';
    const t = await hub({ receiver: arc });
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' } });
    await owner.post('/api/panic');
    await arc.waitFor((r) => r.alarms().length === 1);
    expect(arc.frames.map((f) => f.response)).toEqual(['NAK', 'ACK']);
    expect(t.logs.text()).not.toMatch(/garbled/);
    const [a] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'acknowledged',
    );
    expect(a?.deliveries[0]?.attempts).toBe(1);
  });

  it('hex and text keys both decrypt at the receiver (AES-128 from hex, AES-256 from 32 characters)', async () => {
    const text = '8D3F0A9C41B27E65D0C4A1F3B9E2C7A6'; // what an ARC writes in a Home Assistant-style form
    for (const [format, hubKey, receiverKey] of [
      ['hex', '00112233445566778899AABBCCDDEEFF', Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex')],
      ['text', text, Buffer.from(text, 'latin1')],
    ] as const) {
      const arc = await receiver({ key: receiverKey });
      const t = await hub({ receiver: arc, sia: { key: hubKey, keyFormat: format } });
      const owner = await signIn(t);
      await setConsent(owner, { kinds: { panic: 'automatic' } });
      await owner.post('/api/panic');
      await arc.waitFor((r) => r.alarms().length === 1);
      expect(arc.alarms()[0]).toMatchObject({ encrypted: true, unreadable: false, code: 'PA' });
      expect(arc.errors).toEqual([]);
      expect(t.logs.text()).not.toContain(hubKey);
      const settings = await owner.get<{ settings: Record<string, unknown> }>('/api/plugins/sia-dc09/settings');
      expect(settings.body.settings).toMatchObject({ key: '********', keyFormat: format });
    }
  });

  it('the test signal tells no answer, wrong key, clock out of window and acknowledged apart', async () => {
    const key = randomBytes(32);
    const arc = await receiver({ key });
    const t = await hub({ receiver: arc, sia: { key: key.toString('hex') } });
    const owner = await signIn(t);
    const testSignal = async () => (await owner.post<TestSignal>('/api/alerts/test', {})).body;

    expect(await testSignal()).toMatchObject({ ok: true, outcome: 'acknowledged' });

    arc.key = randomBytes(32); // DUH: it cannot read us
    expect(await testSignal()).toMatchObject({ ok: false, outcome: 'wrong_key', detail: expect.stringMatching(/DUH/) });
    arc.unreadableAnswer = 'NAK'; // pysiaalarm NAKs what it cannot parse, with a clock that agrees
    expect(await testSignal()).toMatchObject({ ok: false, outcome: 'wrong_key', detail: expect.stringMatching(/check the key/) });
    arc.key = key;

    arc.nakNext = 5; // keeps refusing the timestamp
    arc.clockOffsetMs = 3600_000;
    expect(await testSignal()).toMatchObject({ ok: false, outcome: 'clock' });
    arc.nakNext = 0;
    arc.clockOffsetMs = 0;

    arc.silentNext = 1;
    expect(await testSignal()).toMatchObject({ ok: false, outcome: 'no_answer' });
    await arc.stop();
    expect(await testSignal()).toMatchObject({ ok: false, outcome: 'no_answer' });
  });
});
