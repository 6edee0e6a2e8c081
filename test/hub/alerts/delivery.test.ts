import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, invitedClient, OWNER } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { type TestHub, tempDir } from '../../helpers/hub.js';
import { allAlerts, FRONT_DOOR, sensorRef, setConsent, signIn, sleep, startAlertHub, until } from './alert-hub.js';

describe('alert delivery: outages, restarts, NAK, garbled ACKs, link tests, AES over UDP', () => {
  const receivers: Dc09TestReceiver[] = [];
  const hubs: TestHub[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const r of receivers.splice(0)) await r.stop();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function receiver(opts: ConstructorParameters<typeof Dc09TestReceiver>[0] = {}): Promise<Dc09TestReceiver> {
    const r = new Dc09TestReceiver(opts);
    await r.start();
    receivers.push(r);
    return r;
  }

  it('receiver down, hub restarted, receiver up: every queued alert arrives once, in order', async () => {
    const arc = await receiver();
    const dataDir = await tempDir();
    dirs.push(dataDir);
    let t = await startAlertHub({ receiver: arc, dataDir });
    hubs.push(t);
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic', tamper: 'automatic' } });
    await arc.stop(); // the ARC goes away

    await owner.post('/api/panic');
    t.hub.bus.emit('sensor.tamper', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR), active: true });
    t.hub.bus.emit('sensor.tamper', { source: 'mqtt-sensors', ...sensorRef(FRONT_DOOR), active: false });
    const before = await until(
      () => allAlerts(t),
      (l) => l.length === 3 && (l[2]?.deliveries[0]?.attempts ?? 0) >= 2,
    );
    expect(before.map((a) => `${a.kind}/${a.phase}`)).toEqual(['tamper/restore', 'tamper/alarm', 'panic/alarm']);
    // In order: the oldest is being retried, the others wait behind it.
    expect(before.map((a) => a.deliveries[0]?.status)).toEqual(['queued', 'queued', expect.stringMatching(/^(failed|sending)$/)]);

    // Restart the hub while the ARC is still down; raise one more alert on the new hub.
    await t.close();
    hubs.pop();
    t = await startAlertHub({ receiver: arc, dataDir });
    hubs.push(t);
    const again = new ApiClient(t.url);
    expect((await again.login(OWNER.username, OWNER.password)).status).toBe(200);
    await again.post('/api/panic');
    await sleep(300);
    expect(arc.frames).toEqual([]);

    await arc.start(); // same port: the ARC is back
    await arc.waitFor((r) => r.alarms().length === 4, 8000);
    await sleep(300);
    const got = arc.frames.filter((f) => f.id !== 'NULL');
    expect(got.map((f) => f.code)).toEqual(['PA', 'TA', 'TR', 'PA']);
    expect(got.every((f) => f.response === 'ACK' && !f.duplicate)).toBe(true);
    expect(new Set(got.map((f) => f.seq)).size).toBe(4);
    const after = await until(
      () => allAlerts(t),
      (l) => l.length === 4 && l.every((a) => a.status === 'acknowledged'),
    );
    expect(after.map((a) => a.deliveries[0]?.attempts ?? 0).every((n) => n >= 1)).toBe(true);
  });

  it('a NAK with the receiver time makes the hub adopt the ARC clock and resend; a garbled ACK is resent', async () => {
    const arc = await receiver({ clockOffsetMs: 10 * 60_000 });
    const t = await startAlertHub({ receiver: arc });
    hubs.push(t);
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' } });
    await owner.post('/api/panic');
    await arc.waitFor((r) => r.alarms().length === 1);
    expect(arc.frames.map((f) => f.response)).toEqual(['NAK', 'ACK']);
    expect(arc.frames[0]?.seq).toBe(arc.frames[1]?.seq);
    const skew = (arc.frames[1]?.timestamp?.getTime() ?? 0) - (Date.now() + 10 * 60_000);
    expect(Math.abs(skew)).toBeLessThan(20_000);
    expect(t.logs.find((l) => l.msg.includes('adopting its clock'))).toBeDefined();

    arc.garbleNext = 1;
    await owner.post('/api/panic');
    await arc.waitFor((r) => r.alarms().length === 2);
    const last = arc.frames.slice(-2);
    expect(last.map((f) => f.response)).toEqual(['garbled', 'ACK']);
    expect(last[0]?.seq).toBe(last[1]?.seq);
    const [a] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'acknowledged',
    );
    expect(a?.deliveries[0]?.attempts).toBe(2);
  });

  it('DUH (with resends turned off) is a final failure the victim can see; a test signal goes out as RX for installer and owner', async () => {
    const arc = await receiver();
    const t = await startAlertHub({ receiver: arc, sia: { duhRetries: 0 } });
    hubs.push(t);
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' } });
    arc.duhNext = 1;
    await owner.post('/api/panic');
    const [a] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'failed',
    );
    expect(a?.deliveries[0]?.detail).toMatch(/DUH/);
    expect(a?.summary).toMatch(/^could not tell the police/);
    const test = await owner.post<{ ok: boolean; channel: string }>('/api/alerts/test', {});
    expect(test.body).toMatchObject({ ok: true, channel: 'arc' });
    expect(arc.frames.at(-1)?.code).toBe('RX');
    const installer = await invitedClient(t.url, owner, 'installer', 'ivy');
    const police = await invitedClient(t.url, owner, 'police', 'pc-jones');
    expect((await installer.post<{ ok: boolean }>('/api/alerts/test', { channel: 'arc' })).body.ok).toBe(true);
    expect(arc.frames.filter((f) => f.code === 'RX')).toHaveLength(2);
    expect((await police.post('/api/alerts/test', {})).status).toBe(403);
    expect((await installer.get('/api/alerts')).status).toBe(403);
  });

  it('link tests arrive on schedule, encrypted with AES over UDP, and alerts decrypt at the ARC', async () => {
    const key = randomBytes(32);
    const arc = await receiver({ key });
    const t = await startAlertHub({ receiver: arc, sia: { protocol: 'udp', key: key.toString('hex'), linkTestSeconds: 0.25 } });
    hubs.push(t);
    await arc.waitFor((r) => r.linkTests().length >= 4, 4000);
    const tests = arc.linkTests();
    expect(tests.every((f) => f.encrypted && f.transport === 'udp' && f.data === '')).toBe(true);
    const gaps = tests.slice(1).map((f, i) => f.receivedAt - (tests[i]?.receivedAt ?? 0));
    // On schedule: never silent for several intervals, and not more often than asked (timer jitter aside).
    for (const g of gaps) expect(g).toBeLessThan(1000);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThanOrEqual(200);
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' } });
    await owner.post('/api/panic');
    await arc.waitFor((r) => r.alarms().length === 1);
    expect(arc.alarms()[0]).toMatchObject({ encrypted: true, code: 'PA', transport: 'udp' });
    expect(arc.errors).toEqual([]);
    expect(t.logs.text().toLowerCase()).not.toContain(key.toString('hex'));
  });
});
