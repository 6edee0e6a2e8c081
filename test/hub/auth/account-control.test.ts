import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, INSTALLER, invitedClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

interface Devices {
  sessions: Array<{ id: string; username: string; device: string; address: string; lastUsedAt: number; current: boolean }>;
  tokens: Array<{ id: string; name: string; expiresAt: number; lastUsedAt: number | null; lastAddress: string }>;
}

const DAY = 24 * 3600 * 1000;

describe('accounts the owner controls', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('changing the password needs the current one and signs every other session out', async () => {
    t = await startTestHub({ modules: [] });
    const phone = await ownerClient(t.url, t.setupCode);
    const laptop = new ApiClient(t.url, { localAddress: '127.0.0.2' });
    laptop.userAgent = 'Laptop browser';
    expect((await laptop.login(OWNER.username, OWNER.password)).status).toBe(200);

    const list = await phone.get<Devices>('/api/account/devices');
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(2);
    const other = list.body.sessions.find((s) => !s.current);
    expect(other).toMatchObject({ username: OWNER.username, device: 'Laptop browser', address: '127.0.0.2' });

    const wrong = await phone.post('/api/account/password', { currentPassword: 'not my password', newPassword: 'a brand new password' });
    expect(wrong.status).toBe(401);
    expect((await laptop.get('/api/session')).status).toBe(200);

    const ok = await phone.post('/api/account/password', { currentPassword: OWNER.password, newPassword: 'a brand new password' });
    expect(ok.status).toBe(200);
    expect((await phone.get('/api/session')).status).toBe(200);
    expect((await laptop.get('/api/session')).status).toBe(401);
    expect((await new ApiClient(t.url).login(OWNER.username, OWNER.password)).status).toBe(401);
    expect((await new ApiClient(t.url).login(OWNER.username, 'a brand new password')).status).toBe(200);
    const audit = await t.hub.core.audit.entries();
    expect(audit.map((e) => e.action)).toContain('account.password_changed');
    expect(t.logs.text()).not.toContain('a brand new password');
  });

  it('lists sessions and tokens with sign-out for each; a signed-out device is refused at once', async () => {
    t = await startTestHub({ modules: [] });
    const owner = await ownerClient(t.url, t.setupCode);
    const second = new ApiClient(t.url);
    await second.login(OWNER.username, OWNER.password);
    const issued = await owner.post<{ token: string }>('/api/tokens', { name: 'Homebridge', scopes: ['sensors:read'], expiresInDays: 30 });
    expect(issued.status).toBe(200);
    const hb = ApiClient.withToken(t.url, issued.body.token);
    expect((await hb.get('/api/devices')).status).toBe(200);

    const list = (await owner.get<Devices>('/api/account/devices')).body;
    expect(list.tokens).toHaveLength(1);
    expect(list.tokens[0]?.expiresAt).toBeGreaterThan(Date.now() + 29 * DAY);
    expect(list.tokens[0]?.lastUsedAt).not.toBeNull();
    const secondId = list.sessions.find((s) => !s.current)?.id ?? '';
    expect((await owner.delete(`/api/account/sessions/${secondId}`)).status).toBe(204);
    expect((await second.get('/api/session')).status).toBe(401);
    expect((await owner.delete(`/api/account/tokens/${list.tokens[0]?.id}`)).status).toBe(204);
    expect((await hb.get('/api/devices')).status).toBe(401);
    expect((await owner.get<Devices>('/api/account/devices')).body.tokens).toHaveLength(0);
  });

  it('API tokens expire', async () => {
    const clock = { t: Date.now(), now: () => clock.t };
    t = await startTestHub({ modules: [], clock, config: { http: { sessionTtlMinutes: 7 * 24 * 60 } } });
    const owner = await ownerClient(t.url, t.setupCode);
    const issued = await owner.post<{ token: string }>('/api/tokens', { name: 'HB', scopes: ['sensors:read'], expiresInDays: 1 });
    const hb = ApiClient.withToken(t.url, issued.body.token);
    expect((await hb.get('/api/devices')).status).toBe(200);
    clock.t += DAY + 1000;
    expect((await hb.get('/api/devices')).status).toBe(401);
    expect((await owner.post('/api/tokens', { name: 'HB', scopes: ['sensors:read'], expiresInDays: 1000 })).status).toBe(400);
  });

  it('the owner disables, enables and removes other accounts (audited); invited installers and police expire unless renewed', async () => {
    const clock = { t: Date.now(), now: () => clock.t };
    t = await startTestHub({ modules: [], clock });
    const owner = await ownerClient(t.url, t.setupCode);
    const installer = await invitedClient(t.url, owner, 'installer', INSTALLER.username);
    const police = await invitedClient(t.url, owner, 'police', 'pc-jones');
    const users = (await owner.get<{ users: Array<{ id: string; username: string; expiresAt: number | null }> }>('/api/users')).body.users;
    const inst = users.find((u) => u.username === INSTALLER.username);
    const pc = users.find((u) => u.username === 'pc-jones');
    expect(inst?.expiresAt).toBeGreaterThan(clock.t + 29 * DAY);
    expect(pc?.expiresAt).toBeGreaterThan(clock.t + 89 * DAY);
    expect(users.find((u) => u.username === OWNER.username)?.expiresAt).toBeNull();

    expect((await installer.post(`/api/users/${pc?.id}/disable`)).status).toBe(403);
    expect((await owner.post(`/api/users/${pc?.id}/disable`)).status).toBe(204);
    expect((await police.get('/api/session')).status).toBe(401);
    expect((await new ApiClient(t.url).login('pc-jones', 'pc-jones password 123')).status).toBe(401);
    expect((await owner.post(`/api/users/${pc?.id}/enable`)).status).toBe(204);
    expect((await police.login('pc-jones', 'pc-jones password 123')).status).toBe(200);

    // 31 days on, the installer's account has expired; renewed, it works again.
    clock.t += 31 * DAY;
    expect((await installer.get('/api/session')).status).toBe(401);
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
    const expired = await new ApiClient(t.url).login(INSTALLER.username, 'installer password 123');
    expect(expired.status).toBe(403);
    expect(JSON.stringify(expired.body)).toContain('expired');
    expect((await owner.post(`/api/users/${inst?.id}/renew`, { days: 30 })).status).toBe(200);
    expect((await installer.login(INSTALLER.username, 'installer password 123')).status).toBe(200);

    expect((await owner.delete(`/api/users/${inst?.id}`)).status).toBe(204);
    expect((await installer.get('/api/session')).status).toBe(401);
    expect((await new ApiClient(t.url).login(INSTALLER.username, 'installer password 123')).status).toBe(401);
    const me = (await owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    expect((await owner.delete(`/api/users/${me}`)).status).toBe(403);
    const actions = (await t.hub.core.audit.entries()).map((e) => e.action);
    for (const a of ['account.disabled', 'account.enabled', 'account.renewed', 'account.removed']) expect(actions).toContain(a);
  });

  it('an invite accepted by many at once makes exactly one account', async () => {
    t = await startTestHub({ modules: [] });
    const owner = await ownerClient(t.url, t.setupCode);
    const inv = await owner.post<{ code: string }>('/api/invites', { role: 'advocate', displayName: 'Ada' });
    const tries = Array.from({ length: 8 }, (_, i) =>
      new ApiClient(t?.url ?? '').post('/api/invites/accept', {
        code: inv.body.code,
        username: `ada${i}`,
        password: `ada password ${i}xx`,
      }),
    );
    const results = await Promise.all(tries);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(7);
    const users = (await owner.get<{ users: Array<{ role: string }> }>('/api/users')).body.users;
    expect(users.filter((u) => u.role === 'advocate')).toHaveLength(1);
  });

  it('a taken username leaves the invite unused', async () => {
    t = await startTestHub({ modules: [] });
    const owner = await ownerClient(t.url, t.setupCode);
    const inv = await owner.post<{ code: string }>('/api/invites', { role: 'advocate', displayName: 'Ada' });
    const c = new ApiClient(t.url);
    expect(
      (await c.post('/api/invites/accept', { code: inv.body.code, username: OWNER.username, password: 'ada password 1xx' })).status,
    ).toBe(409);
    expect((await c.post('/api/invites/accept', { code: inv.body.code, username: 'ada', password: 'ada password 1xx' })).status).toBe(200);
  });
});
