import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, INSTALLER, invitedClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

describe('accounts, sessions and roles', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('creates the owner only with the one-time setup code; no default account exists', async () => {
    t = await startTestHub();
    const anon = new ApiClient(t.url);
    expect((await anon.login('admin', 'admin')).status).toBe(401);
    const wrong = await anon.post('/api/setup', { code: 'AAAA-BBBB-CCCC', ...OWNER });
    expect(wrong.status).toBe(401);
    expect((wrong.body as { error: { code: string } }).error.code).toBe('HUB_ERR_SETUP_CODE');
    const ok = await anon.post('/api/setup', { code: t.setupCode, ...OWNER });
    expect(ok.status).toBe(200);
    const again = await anon.post('/api/setup', { code: t.setupCode, ...OWNER, username: 'second' });
    expect(again.status).toBe(403);
    expect((await anon.get<{ mode: string }>('/api')).body.mode).toBe('active');
  });

  it('refuses a short password with a message naming the field', async () => {
    t = await startTestHub();
    const r = await new ApiClient(t.url).post('/api/setup', { code: t.setupCode, username: 'sam', password: 'short', displayName: 'Sam' });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('body.password');
  });

  it('stores passwords as scrypt hashes and sets an HttpOnly SameSite=Strict session cookie', async () => {
    t = await startTestHub();
    const c = new ApiClient(t.url);
    await c.post('/api/setup', { code: t.setupCode, ...OWNER });
    const login = await c.login(OWNER.username, OWNER.password);
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const row = await t.hub.core.db.get<{ password_hash: string }>('SELECT password_hash FROM users');
    expect(row?.password_hash).toMatch(/^scrypt\$/);
    expect(row?.password_hash).not.toContain(OWNER.password);
    expect(t.logs.text()).not.toContain(OWNER.password);
    expect((await c.get('/api/session')).status).toBe(200);
    expect((await c.post('/api/auth/logout')).status).toBe(204);
    expect((await c.get('/api/session')).status).toBe(401);
  });

  it('rate-limits failed sign-ins and audits them', async () => {
    t = await startTestHub({ config: { http: { loginAttempts: 3 } } });
    await ownerClient(t.url, t.setupCode);
    const c = new ApiClient(t.url);
    for (let i = 0; i < 3; i++) expect((await c.login(OWNER.username, 'wrong password!')).status).toBe(401);
    const blocked = await c.login(OWNER.username, OWNER.password);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBeTruthy();
    const audit = await t.hub.core.audit.entries();
    expect(audit.filter((e) => e.action === 'login.failed')).toHaveLength(3);
  });

  it('requires the CSRF header on state-changing calls made with a cookie', async () => {
    t = await startTestHub();
    const owner = await ownerClient(t.url, t.setupCode);
    const cookie = owner.sessionCookie ?? '';
    const res = await fetch(`${t.url}/api/invites`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'police', displayName: 'PC Jones' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_CSRF');
    expect((await owner.post('/api/invites', { role: 'police', displayName: 'PC Jones' })).status).toBe(200);
  });

  it('enforces roles on the server for every route', async () => {
    t = await startTestHub();
    const owner = await ownerClient(t.url, t.setupCode);
    const police = await invitedClient(t.url, owner, 'police', 'pc-jones');
    const advocate = await invitedClient(t.url, owner, 'advocate', 'adv-kim');
    const anon = new ApiClient(t.url);
    expect((await anon.get('/api/users')).status).toBe(401);
    expect((await police.get('/api/users')).status).toBe(403);
    expect((await advocate.get('/api/users')).status).toBe(403);
    expect((await police.get('/api/devices')).status).toBe(403);
    expect((await advocate.get('/api/events')).status).toBe(403);
    expect((await police.post('/api/invites', { role: 'police', displayName: 'x' })).status).toBe(403);
    expect((await owner.get('/api/users')).status).toBe(200);
  });

  it('an installer sets up the home and hands over; afterwards the installer cannot sign in', async () => {
    t = await startTestHub();
    const inst = new ApiClient(t.url);
    expect((await inst.post('/api/setup', { code: t.setupCode, ...INSTALLER, role: 'installer' })).status).toBe(200);
    expect((await inst.login(INSTALLER.username, INSTALLER.password)).status).toBe(200);
    expect((await inst.get<{ mode: string }>('/api')).body.mode).toBe('installing');
    const sensor = await inst.put('/api/devices/sensors/front-door', {
      name: 'Front door',
      kind: 'door',
      entryRoute: true,
      smartwater: { marked: true, kitCode: 'SW-123' },
      source: { type: 'zigbee2mqtt', friendlyName: 'front_door' },
    });
    expect(sensor.status).toBe(200);
    const handover = await inst.post<{ ownerCode: string }>('/api/installer/handover');
    expect(handover.status).toBe(200);
    expect((await inst.get('/api/devices')).status).toBe(401);
    expect((await new ApiClient(t.url).login(INSTALLER.username, INSTALLER.password)).status).toBe(401);
    const owner = new ApiClient(t.url);
    expect((await owner.post('/api/setup', { code: handover.body.ownerCode, ...OWNER, role: 'owner' })).status).toBe(200);
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
    const devices = await owner.get<{ sensors: Array<{ id: string; smartwater: { kitCode: string } }> }>('/api/devices');
    expect(devices.body.sensors[0]?.smartwater.kitCode).toBe('SW-123');
  });

  it('API tokens are limited to their scopes and to routes that accept tokens', async () => {
    t = await startTestHub();
    const owner = await ownerClient(t.url, t.setupCode);
    const issued = await owner.post<{ token: string }>('/api/tokens', { name: 'homebridge', scopes: ['sensors:read'] });
    expect(issued.status).toBe(200);
    const tok = ApiClient.withToken(t.url, issued.body.token);
    expect((await tok.get('/api/devices')).status).toBe(200);
    expect((await tok.get('/api/events')).status).toBe(403);
    expect((await tok.get('/api/users')).status).toBe(403);
    // A token that may disarm without a PIN needs the owner's password typed again.
    const noPassword = await owner.post('/api/tokens', { name: 'hk', scopes: ['alarm:disarm'] });
    expect(noPassword.status).toBe(400);
    expect(JSON.stringify(noPassword.body)).toContain('body.password');
    expect((await owner.post('/api/tokens', { name: 'hk', scopes: ['alarm:disarm'], password: 'not my password' })).status).toBe(401);
    expect((await owner.post('/api/tokens', { name: 'hk', scopes: ['alarm:disarm'], password: OWNER.password })).status).toBe(200);
    expect((await t.hub.core.audit.entries()).some((e) => e.action === 'password_confirm.failed')).toBe(true);
    const bad = ApiClient.withToken(t.url, 'sat_not-a-token');
    expect((await bad.get('/api/devices')).status).toBe(401);
    expect(t.logs.text()).not.toContain(issued.body.token);
  });
});
