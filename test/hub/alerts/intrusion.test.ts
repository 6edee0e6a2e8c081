import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import { alerts, BACK_WINDOW, FRONT_DOOR, opened, personAtDoor, setConsent, signIn, sleep, startAlertHub, until } from './alert-hub.js';

describe('confirmed intrusions (BS 8243) reach the ARC; single trips stay at home', () => {
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

  async function armedHub(): Promise<{ hub: TestHub; owner: ApiClient }> {
    const hub = await startAlertHub({ receiver });
    t = hub;
    const owner = await signIn(hub);
    await setConsent(owner, { kinds: { intrusion: 'automatic' } });
    expect((await owner.put('/api/alarm/pins', { pin: '1357', duressPin: '2468' })).status).toBe(204);
    expect((await owner.post('/api/alarm/arm', { mode: 'armed_away', pin: '1357' })).status).toBe(200);
    await until(
      async () => (await owner.get<{ state: string }>('/api/alarm')).body.state,
      (s) => s === 'armed_away',
    );
    return { hub, owner };
  }

  it('an unconfirmed single door trip sounds locally but sends nothing to the ARC', async () => {
    const { hub, owner } = await armedHub();
    const triggered = hub.hub.bus.next('alarm.triggered');
    opened(hub, FRONT_DOOR);
    expect((await triggered).cause?.sensorId).toBe('front-door');
    // Past the video confirmation time with no second detector.
    await sleep(2500);
    expect(receiver.frames).toEqual([]);
    expect(await alerts(owner)).toEqual([]);
  });

  it('a door trip followed by a person on the doorbell camera is video-confirmed and sends BA', async () => {
    const { hub, owner } = await armedHub();
    const confirmed = hub.hub.bus.next('intrusion.confirmed');
    opened(hub, FRONT_DOOR);
    await sleep(100);
    expect(receiver.frames).toEqual([]);
    personAtDoor(hub);
    expect(await confirmed).toMatchObject({ how: 'video', triggers: ['front-door', 'camera:doorbell'] });
    await receiver.waitFor((r) => r.alarms().length === 1);
    const [frame] = receiver.alarms();
    expect(frame?.code).toBe('BA');
    // Zones are numbered by sensor id: back-window 1, front-door 2.
    expect(frame?.zone).toBe('002');
    expect(frame?.extended).toEqual([]); // location not shared: nothing but the alarm
    const [a] = await until(
      () => alerts(owner),
      (l) => l[0]?.status === 'acknowledged',
    );
    expect(a?.kind).toBe('intrusion');
  });

  it('two different sensors within the window confirm it (two detectors); one BA per incident', async () => {
    const { hub } = await armedHub();
    const confirmed = hub.hub.bus.next('intrusion.confirmed');
    opened(hub, FRONT_DOOR);
    await sleep(50);
    opened(hub, FRONT_DOOR); // the same detector again is not a second one
    await sleep(50);
    opened(hub, BACK_WINDOW);
    expect(await confirmed).toMatchObject({ how: 'two_detectors', triggers: ['front-door', 'back-window'] });
    await receiver.waitFor((r) => r.alarms().length === 1);
    personAtDoor(hub);
    await sleep(400);
    expect(receiver.alarms().map((f) => f.code)).toEqual(['BA']);
  });
});
