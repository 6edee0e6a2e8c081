import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmSnapshot } from '../../../hub/alarm/module.js';
import { OWNER } from '../../helpers/api-client.js';
import { type AlarmHub, allClosed, DURESS_PIN, OWNER_PIN, startAlarmHub } from '../alarm/alarm-fixture.js';

describe('changing the alarm PIN or duress PIN', () => {
  let h: AlarmHub | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('needs the current PIN or the owner password, and refuses a duress PIN equal to the PIN', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    const owner = h.owner;
    const put = (body: object) => owner.put<{ error?: { code: string; message: string } }>('/api/alarm/pins', body);

    const bare = await put({ pin: '11112222', duressPin: '33334444' });
    expect(bare.status).toBe(400);
    expect(bare.body.error?.message).toContain('currentPin');
    const wrongPin = await put({ pin: '11112222', duressPin: '33334444', currentPin: '9999' });
    expect(wrongPin.status).toBe(403);
    expect(wrongPin.body.error?.code).toBe('HUB_ERR_BAD_PIN');
    const wrongPassword = await put({ pin: '11112222', duressPin: '33334444', password: 'not the password' });
    expect(wrongPassword.status).toBe(401);
    expect((await put({ pin: '55556666', duressPin: '55556666', currentPin: OWNER_PIN })).status).toBe(400);
    // None of those changed anything: the old PIN still disarms.
    expect((await owner.post<AlarmSnapshot>('/api/alarm/arm', { mode: 'armed_home', pin: OWNER_PIN })).status).toBe(200);
    expect((await owner.post<AlarmSnapshot>('/api/alarm/disarm', { pin: OWNER_PIN })).body.state).toBe('disarmed');

    expect((await put({ pin: '11112222', duressPin: '33334444', currentPin: OWNER_PIN })).status).toBe(204);
    expect((await owner.post('/api/alarm/disarm', { pin: OWNER_PIN })).status).toBe(403);
    expect((await put({ pin: '24682468', duressPin: '13571357', password: OWNER.password })).status).toBe(204);
    expect((await owner.post<AlarmSnapshot>('/api/alarm/disarm', { pin: '24682468' })).body.state).toBe('disarmed');
  });

  it('accepts the duress PIN as the current PIN exactly like the real one, and raises the silent alarm', async () => {
    h = await startAlarmHub();
    await allClosed(h);
    const seen: string[] = [];
    const off = h.t.hub.bus.onAny('pin-change-test', (name) => {
      seen.push(name);
    });
    const r = await h.owner.put('/api/alarm/pins', { pin: '11112222', duressPin: '33334444', currentPin: DURESS_PIN });
    off();
    expect(r.status).toBe(204);
    expect(seen).toContain('duress');
    const audit = await h.t.hub.core.audit.entries();
    expect(audit.some((a) => a.action === 'alarm.duress' && JSON.stringify(a.subject).includes('pin_change'))).toBe(true);
  });
});
