import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventName } from '../../../hub/api/events.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import {
  ACCOUNT,
  alerts,
  allAlerts,
  MqttAlertsPlugin,
  setConsent,
  signIn,
  sleep,
  startAlertHub,
  storedAlerts,
  until,
} from './alert-hub.js';

describe('police alerts: panic, ask and duress through the consent gate to a DC-09 receiver', () => {
  let receiver: Dc09TestReceiver;
  let t: TestHub | null = null;

  beforeEach(async () => {
    receiver = new Dc09TestReceiver();
    await receiver.start();
  });
  afterEach(async () => {
    await t?.close();
    t = null;
    await receiver.stop();
  });

  it('panic with automatic consent reaches the ARC and is acknowledged within 1 s, with the location when shared', async () => {
    t = await startAlertHub({ receiver });
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' }, share: { location: true } });
    const pressed = Date.now();
    expect((await owner.post('/api/panic')).status).toBe(200);
    await receiver.waitFor((r) => r.alarms().length === 1, 1000);
    const [frame] = receiver.alarms();
    expect(frame?.id).toBe('SIA-DCS');
    expect(frame?.code).toBe('PA');
    expect(frame?.account).toBe(ACCOUNT);
    expect(frame?.receiver).toBe('12');
    expect(frame?.line).toBe('3');
    expect(frame?.extended).toEqual(['S1 Example Street, Exampletown', 'X-0.124600', 'Y51.500700']);
    const [a] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'acknowledged',
      1000 - (Date.now() - pressed),
    );
    expect(a?.kind).toBe('panic');
    expect(a?.summary).toMatch(/^police notified \d\d:\d\d:\d\d, acknowledged \d\d:\d\d:\d\d$/);
    expect(a?.attached).toMatchObject({ location: true, coordinates: true, snapshot: false, clipLink: false });
    expect(a?.deliveries).toEqual([expect.objectContaining({ channel: 'arc', police: true, status: 'acknowledged', attempts: 1 })]);
  });

  it('panic with the default "never" consent sends nothing and records the refusal locally', async () => {
    t = await startAlertHub({ receiver });
    const owner = await signIn(t);
    expect((await owner.post('/api/panic')).status).toBe(200);
    const [a] = await until(
      () => allAlerts(t),
      (l) => l.length === 1,
    );
    expect(a?.status).toBe('refused');
    expect(a?.consent).toEqual({ mode: 'never', version: 0 });
    expect(a?.deliveries).toEqual([]);
    await sleep(400);
    expect(receiver.frames).toEqual([]);
  });

  it('"ask" sends only after the victim taps send; an unanswered ask expires and sends nothing', async () => {
    t = await startAlertHub({ receiver });
    const owner = await signIn(t);
    // "Ask me first" needs a question on screen, so only a loud panic can ask.
    expect((await owner.put('/api/consent', { kinds: { panic: 'ask' } })).status).toBe(400);
    expect((await owner.put('/api/alarm/settings', { loudPanic: true })).status).toBe(200);
    await setConsent(owner, { kinds: { panic: 'ask' } });
    const raised = t.hub.bus.next('alert.raised');
    await owner.post('/api/panic');
    expect((await raised).status).toBe('awaiting_consent');
    let [a] = await allAlerts(t);
    expect(a?.status).toBe('awaiting_consent');
    await sleep(300);
    expect(receiver.frames).toEqual([]);

    const sent = await owner.post<{ status: string }>(`/api/alerts/${a?.id}/send`);
    expect(sent.status).toBe(200);
    await receiver.waitFor((r) => r.alarms().length === 1);
    expect(receiver.alarms()[0]?.code).toBe('PA');
    [a] = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'acknowledged',
    );
    expect(a?.deliveries[0]?.status).toBe('acknowledged');

    // A second panic nobody answers: expired after askTimeoutSeconds, and sending later is refused.
    await owner.post('/api/panic');
    const expired = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'expired',
      4000,
    );
    expect(expired[0]?.summary).toBe('not sent: no answer in time');
    const late = await owner.post(`/api/alerts/${expired[0]?.id}/send`);
    expect(late.status).toBe(409);
    await sleep(200);
    expect(receiver.alarms()).toHaveLength(1);

    // Dismissing an ask is recorded as the victim's refusal.
    await owner.post('/api/panic');
    const pending = await until(
      () => allAlerts(t),
      (l) => l[0]?.status === 'awaiting_consent',
    );
    const dismissed = await owner.post<{ status: string; summary: string }>(`/api/alerts/${pending[0]?.id}/dismiss`);
    expect(dismissed.body).toMatchObject({ status: 'refused', summary: 'not sent: you chose not to' });
    expect(receiver.alarms()).toHaveLength(1);
  });

  it('duress sends HA to the ARC while nothing visible changes locally', async () => {
    t = await startAlertHub({ receiver, extraPlugins: [new MqttAlertsPlugin()], pluginConfig: { 'mqtt-alerts': { enabled: true } } });
    const owner = await signIn(t);
    await setConsent(owner, {
      kinds: { duress: 'automatic', panic: 'automatic' },
      channels: { arc: { on: true }, mqtt: { on: true, kinds: ['panic', 'duress'] } },
    });
    expect((await owner.put('/api/alarm/pins', { pin: '1357', duressPin: '2468' })).status).toBe(204);
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);

    const local = await mqtt.connectAsync(t.mqttUrl);
    const published: string[] = [];
    local.on('message', (topic) => published.push(topic));
    await local.subscribeAsync('sanctuary/alerts/#');
    const seen: EventName[] = [];
    const off = t.hub.bus.onAny('test', (name) => {
      seen.push(name);
    });
    try {
      const disarm = await owner.post<{ state: string }>('/api/alarm/disarm', { pin: '2468' });
      expect(disarm.status).toBe(200);
      expect(disarm.body.state).toBe('disarmed');
      await receiver.waitFor((r) => r.alarms().length === 1);
      expect(receiver.alarms()[0]?.code).toBe('HA');
      const hidden = await until(
        () => storedAlerts(t as TestHub),
        (l) => l[0]?.status === 'acknowledged',
      );
      expect(hidden[0]).toMatchObject({ kind: 'duress', silent: true });
      // Nothing on the siren, the local alert topic or the owner's alert list.
      expect(seen.filter((n) => n === 'siren.changed')).toEqual([]);
      expect(await alerts(owner)).toEqual([]);

      // Positive control: a loud panic does go to the local topic (so the subscription works).
      expect((await owner.put('/api/alarm/settings', { loudPanic: true })).status).toBeLessThan(300);
      await owner.post('/api/panic');
      await until(
        async () => published,
        (p) => p.includes('sanctuary/alerts/panic'),
      );
      expect(published).toEqual(['sanctuary/alerts/panic']);
    } finally {
      off();
      await local.endAsync();
    }
  });
});
