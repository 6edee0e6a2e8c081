import { afterEach, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../hub/auth/rate-limit.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

describe('sign-in throttle an abuser cannot turn against the victim', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it("1,000 wrong passwords from another device do not slow the owner's known device", async () => {
    t = await startTestHub({ modules: [] });
    // The owner's phone signed in before: it holds the long-lived device cookie.
    const owner = await ownerClient(t.url, t.setupCode);
    expect(owner.deviceCookie).toMatch(/^sanctuary_device=/);
    owner.dropSession();
    const deviceToken = (owner.deviceCookie ?? '').split('=')[1] ?? '';
    const deviceId = await t.hub.core.accounts.devices.find(deviceToken, OWNER.username);
    expect(deviceId).not.toBeNull();

    // The abuser's phone, and a client on the owner's own address (a shared or spoofed address) without her device cookie.
    const abuser = new ApiClient(t.url, { localAddress: '127.0.0.2' });
    const sameAddress = new ApiClient(t.url, { localAddress: '127.0.0.1' });
    const statuses = new Map<number, number>();
    let ownerResult: { status: number; retryAfter: string | null } | null = null;
    for (let batch = 0; batch < 40; batch++) {
      const from = batch % 2 === 0 ? abuser : sameAddress;
      const tries = Array.from({ length: 25 }, () => from.login(OWNER.username, `wrong password ${batch}`));
      for (const r of await Promise.all(tries)) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (batch === 20) {
        // Mid-attack: the throttle's decision for the owner's device is "allowed", and the sign-in succeeds.
        expect(t.hub.core.accounts.limiter.decide(OWNER.username, '127.0.0.1', deviceId)).toEqual({ allowed: true });
        const r = await owner.login(OWNER.username, OWNER.password);
        ownerResult = { status: r.status, retryAfter: r.headers.get('retry-after') };
        owner.dropSession();
      }
    }
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    expect([...statuses.keys()].sort()).toEqual([401, 429]);
    // Only the first few were even checked against the password; the rest had to wait.
    expect(statuses.get(429)).toBeGreaterThanOrEqual(900);
    expect(ownerResult).toEqual({ status: 200, retryAfter: null });

    // After the attack too, the known device signs in at once.
    expect(t.hub.core.accounts.limiter.decide(OWNER.username, '127.0.0.1', deviceId)).toEqual({ allowed: true });
    const after = await owner.login(OWNER.username, OWNER.password);
    expect(after.status).toBe(200);
    expect(after.headers.get('retry-after')).toBeNull();

    // The throttle is real: the abuser's address waits even with the right password...
    const guessed = await abuser.login(OWNER.username, OWNER.password);
    expect(guessed.status).toBe(429);
    expect(Number(guessed.headers.get('retry-after'))).toBeGreaterThan(0);
    // ...and so does the owner's address without the device cookie: the cookie is what lets her in.
    expect((await sameAddress.login(OWNER.username, OWNER.password)).status).toBe(429);
    // ...and a new device of the owner's on another address is not touched by it.
    const laptop = new ApiClient(t.url, { localAddress: '127.0.0.3' });
    expect((await laptop.login(OWNER.username, OWNER.password)).status).toBe(200);
    // Bounded: a pair and an address per attacking address, and the device.
    expect(t.hub.core.accounts.limiter.size).toBeLessThanOrEqual(5);
  });
});

describe('LoginThrottle', () => {
  const make = (now: { t: number }, maxEntries = 100) =>
    new LoginThrottle({ freeAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 600_000, maxEntries, now: () => now.t });

  it('waits longer after every failure, never locks for everyone, and forgets after a quiet spell', () => {
    const now = { t: 1_000_000 };
    const th = make(now);
    for (let i = 0; i < 2; i++) th.fail('victim', '10.0.0.9');
    expect(th.decide('victim', '10.0.0.9')).toEqual({ allowed: true });
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      th.fail('victim', '10.0.0.9');
      const d = th.decide('victim', '10.0.0.9');
      expect(d.allowed).toBe(false);
      if (!d.allowed) waits.push(d.retryAfterMs);
      now.t += d.allowed ? 0 : d.retryAfterMs;
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(th.decide('victim', '10.0.0.10')).toEqual({ allowed: true });
    expect(th.decide('victim', '10.0.0.9', 'device-1')).toEqual({ allowed: true });
    expect(() => th.check('victim', '10.0.0.9')).not.toThrow();
    th.fail('victim', '10.0.0.9');
    expect(() => th.check('victim', '10.0.0.9')).toThrow(expect.objectContaining({ code: 'HUB_ERR_RATE_LIMITED' }));
    now.t += 600_001;
    expect(th.decide('victim', '10.0.0.9')).toEqual({ allowed: true });
  });

  it('one address spraying many usernames is slowed across all of them', () => {
    const now = { t: 0 };
    const th = make(now);
    for (let i = 0; i < 12; i++) th.fail(`user${i}`, '10.0.0.66');
    expect(th.decide('someone-new', '10.0.0.66')).toMatchObject({ allowed: false, key: 'address' });
    expect(th.decide('someone-new', '10.0.0.67')).toEqual({ allowed: true });
  });

  it('keeps at most maxEntries whatever is thrown at it', () => {
    const now = { t: 0 };
    const th = make(now, 1000);
    for (let i = 0; i < 50_000; i++) th.fail(`user${i % 97}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(th.size).toBeLessThanOrEqual(1000);
  });
});
