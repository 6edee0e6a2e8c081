/**
 * Opening/closing reports: setting the alarm is a CL, unsetting it an OP, sent to the ARC only
 * when its contract asks for them (installer) and the owner agreed to them (consent, default
 * off). A disarm with the duress PIN gives the same OP report as any disarm, and the owner's list
 * shows the two disarms alike; the duress alarm itself goes on its own consent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cidData } from '../../../plugins/sia-dc09/codes.js';
import type { ApiClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import { ACCOUNT, alerts, setConsent, signIn, startAlertHub, storedAlerts, until } from '../../hub/alerts/alert-hub.js';

describe('opening/closing reports to the ARC', () => {
  const receivers: Dc09TestReceiver[] = [];
  const hubs: TestHub[] = [];

  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const r of receivers.splice(0)) await r.stop();
  });

  async function setup(sia: Record<string, unknown> = { openCloseReports: true }) {
    const arc = new Dc09TestReceiver();
    await arc.start();
    receivers.push(arc);
    const t = await startAlertHub({ receiver: arc, sia });
    hubs.push(t);
    const owner = await signIn(t);
    expect((await owner.put('/api/alarm/pins', { pin: '1357', duressPin: '2468' })).status).toBe(204);
    return { arc, t, owner };
  }

  async function armThenDisarm(owner: ApiClient, pin: string): Promise<void> {
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);
    const d = await owner.post<{ state: string }>('/api/alarm/disarm', { pin });
    expect(d.status).toBe(200);
    expect(d.body.state).toBe('disarmed');
  }

  it('sends nothing by default: the owner has not agreed, and no alert is recorded for it', async () => {
    const { arc, t, owner } = await setup();
    await setConsent(owner, { kinds: { intrusion: 'automatic' } });
    await armThenDisarm(owner, '1357');
    // A positive control on the same link: a tamper goes (so the ARC would have heard a CL/OP).
    await setConsent(owner, { kinds: { tamper: 'automatic' } });
    t.hub.bus.emit('camera.tamper', { source: 'test', cameraId: 'doorbell', active: true });
    await arc.waitFor((r) => r.alarms().length === 1);
    expect(arc.alarms().map((f) => f.code)).toEqual(['TA']);
    expect((await storedAlerts(t)).map((a) => a.kind)).toEqual(['tamper']);
  });

  it('with consent and a contract that asks for them: CL on arming, OP on disarming, nothing attached', async () => {
    const { arc, owner } = await setup();
    await setConsent(owner, { kinds: { open_close: 'automatic' }, share: { location: true, snapshot: true, clipLink: true } });
    await armThenDisarm(owner, '1357');
    await arc.waitFor((r) => r.alarms().length === 2);
    expect(arc.alarms().map((f) => f.code)).toEqual(['CL', 'OP']);
    // Address and links were consented for alarms, but a set/unset report carries none of them.
    expect(arc.alarms().map((f) => f.extended)).toEqual([[], []]);
    const list = await until(
      () => alerts(owner),
      (l) => l.length === 2 && l.every((a) => a.status === 'acknowledged'),
    );
    expect(list.map((a) => a.kind)).toEqual(['open_close', 'open_close']);
  });

  it('a duress disarm sends the same OP as a plain one; the duress alarm follows its own consent', async () => {
    const { arc, t, owner } = await setup();
    await setConsent(owner, { kinds: { open_close: 'automatic', duress: 'automatic' } });
    await armThenDisarm(owner, '1357');
    await arc.waitFor((r) => r.alarms().length === 2);
    await armThenDisarm(owner, '2468');
    await arc.waitFor((r) => r.alarms().length === 5);
    const codes = arc.alarms().map((f) => f.code);
    expect(codes.slice(0, 3)).toEqual(['CL', 'OP', 'CL']);
    expect([...codes.slice(3)].sort()).toEqual(['HA', 'OP']);
    const ops = arc.alarms().filter((f) => f.code === 'OP');
    expect(ops[0]?.data).toBe(ops[1]?.data); // the same report, byte for byte inside the brackets
    // The owner's list (what someone holding her phone sees): two arms, two disarms, alike.
    const list = await until(
      () => alerts(owner),
      (l) => l.length === 4 && l.every((a) => a.status === 'acknowledged'),
    );
    const shape = (a: { kind: string; phase: string; silent: boolean; summary: string }) => ({
      kind: a.kind,
      phase: a.phase,
      silent: a.silent,
      words: a.summary.replace(/\d\d:\d\d:\d\d/g, 'T'),
    });
    const [plainArm, plainDisarm, duressArm, duressDisarm] = [...list].reverse().map(shape);
    expect(duressDisarm).toEqual(plainDisarm);
    expect(duressArm).toEqual(plainArm);
    expect(list.some((a) => a.kind === 'duress')).toBe(false);
    // The evidence store has the duress alert too, silent.
    expect((await storedAlerts(t)).filter((a) => a.kind === 'duress')).toEqual([expect.objectContaining({ silent: true })]);
  });

  it('without the duress consent a duress disarm still gives the plain OP and no HA', async () => {
    const { arc, owner } = await setup();
    await setConsent(owner, { kinds: { open_close: 'automatic' } });
    await armThenDisarm(owner, '2468');
    await arc.waitFor((r) => r.alarms().length === 2);
    expect(arc.alarms().map((f) => f.code)).toEqual(['CL', 'OP']);
  });

  it('a contract that does not ask for them: none sent, and the owner is told why', async () => {
    const { arc, owner } = await setup({ openCloseReports: false });
    await setConsent(owner, { kinds: { open_close: 'automatic' } });
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);
    const [a] = await until(
      () => alerts(owner),
      (l) => l.length === 1 && l[0]?.status === 'failed',
    );
    expect(a?.deliveries[0]?.detail).toMatch(/contract takes no opening\/closing reports/);
    expect(arc.frames.filter((f) => f.id !== 'NULL')).toEqual([]);
  });

  it('"ask me first" is refused for them (a question at every disarm would show)', async () => {
    const { owner } = await setup();
    const r = await owner.put<{ error: { message: string } }>('/api/consent', { kinds: { open_close: 'ask' } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/routine: choose automatic or never/);
  });

  it('Contact ID: closing is 401 with qualifier 3, opening 401 with qualifier 1', async () => {
    const { arc, owner } = await setup({ openCloseReports: true, format: 'ADM-CID' });
    await setConsent(owner, { kinds: { open_close: 'automatic' } });
    await armThenDisarm(owner, '1357');
    await arc.waitFor((r) => r.alarms().length === 2);
    expect(arc.alarms().map((f) => f.data)).toEqual([cidData(ACCOUNT, 401, true, 0), cidData(ACCOUNT, 401, false, 0)]);
    expect(arc.alarms()[0]?.data).toBe(`#${ACCOUNT}|3401 01 000`);
  });
});
