/**
 * Account keys (#19): made with the account, wrapped under the password (and the owner's recovery
 * code, shown once), unlocked into memory at sign-in, forgotten at sign-out, session expiry and
 * restart; a password change re-wraps; the recovery code opens the same key after a forgotten
 * password; the hub's signing key is sealed to the owner and signs only while she is signed in.
 * A real hub with its SQLite file, HTTP on loopback and real age files on disk.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, OWNER } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { makeClip } from '../evidence/fixtures.js';

const CODE = /^[A-Z2-9]{4}(-[A-Z2-9]{4}){4}$/;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CONFIG = {
  cameras: [{ id: 'front-door-cam', name: 'Front door camera', source: { type: 'rtsp' as const, mainUrl: 'rtsp://127.0.0.1:1/none' } }],
};

describe('account keys and locked footage', () => {
  let t: TestHub | null = null;
  let dir = '';
  afterEach(async () => {
    await t?.close();
    t = null;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  async function claimOwner(hub: TestHub): Promise<{ client: ApiClient; recoveryCode: string }> {
    const c = new ApiClient(hub.url);
    const r = await c.post<{ recoveryCode?: string; recoveryNote?: string }>('/api/setup', {
      code: hub.setupCode,
      ...OWNER,
      role: 'owner',
    });
    expect(r.status).toBe(200);
    expect(r.body.recoveryCode).toMatch(CODE);
    expect(r.body.recoveryNote).toMatch(/nobody can open them/);
    const l = await c.login(OWNER.username, OWNER.password);
    expect(l.status).toBe(200);
    // Shown once, at the claim: signing in does not show it again.
    expect(l.body).toMatchObject({ footageUnlocked: true });
    expect(l.body).not.toHaveProperty('recoveryCode');
    return { client: c, recoveryCode: r.body.recoveryCode ?? '' };
  }

  /** Stop and start on the same data folder and port: the browser's session cookie stays good. */
  const restart = async (): Promise<TestHub> => {
    const port = Number(new URL(t?.url ?? '').port);
    await t?.close();
    t = await startTestHub({ dataDir: dir, config: { ...CONFIG, http: { port } } });
    return t;
  };

  /** The bytes of a GET as the browser gets them. */
  const bytes = async (c: ApiClient, path: string): Promise<{ status: number; body: Buffer }> => {
    const res = await fetch(`${t?.url}${path}`, { headers: { cookie: c.sessionCookie ?? '' } });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  };

  it('keeps keys only wrapped, and forgets them at sign-out, session expiry and restart', async () => {
    dir = await tempDir();
    t = await startTestHub({ dataDir: dir, config: CONFIG });
    const { client: owner } = await claimOwner(t);
    const me = (await owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const vault = t.hub.core.vault;
    expect(vault.isUnlocked(me)).toBe(true);
    // Wrapped only: no age secret key, no PEM private key anywhere in the database.
    const row = await t.hub.core.db.get<{ wrapped_password: string; wrapped_recovery: string; recipient: string }>(
      'SELECT * FROM account_keys WHERE user_id = ?',
      [me],
    );
    expect(row?.wrapped_password).toMatch(/^wrap1\$scrypt\$/);
    expect(row?.wrapped_recovery).toMatch(/^wrap1\$scrypt\$/);
    expect(row?.recipient).toMatch(/^age1/);
    await t.hub.core.db.run('PRAGMA wal_checkpoint(TRUNCATE)');
    for (const f of ['sanctuary.db', 'sanctuary.db-wal']) {
      const p = join(dir, f);
      if (existsSync(p)) expect((await readFile(p)).includes(Buffer.from('AGE-SECRET-KEY'))).toBe(false);
    }

    // A clip, sealed to the owner (and the boot key).
    const clip = await makeClip(t, { startTs: Date.now() - 60_000, seconds: 1, cameraId: 'front-door-cam' });
    const played = await owner.get(`/api/clips/${clip.id}/video`);
    expect(played.status).toBe(200);

    // Sign-out forgets the key.
    expect((await owner.post('/api/auth/logout')).status).toBe(204);
    expect(vault.isUnlocked(me)).toBe(false);
    // Session expiry forgets it too (the session's end moved to the past, as time passing would).
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
    expect(vault.isUnlocked(me)).toBe(true);
    await t.hub.core.db.run('UPDATE sessions SET expires_at = ? WHERE user_id = ?', [Date.now() - 1, me]);
    await vault.sweep((id) => t?.hub.core.accounts.hasLiveSession(id) ?? Promise.resolve(false));
    expect(vault.isUnlocked(me)).toBe(false);
    expect((await owner.get('/api/session')).status).toBe(401);
    const locked = (await t.hub.core.audit.entries()).filter((e) => e.action === 'footage.locked').map((e) => e.subject.reason);
    expect(locked).toEqual(['signed out', 'session ended']);

    // A restart forgets it while the session cookie stays good: footage answers 423 until unlocked.
    expect((await owner.login(OWNER.username, OWNER.password)).status).toBe(200);
    const token = (await owner.post<{ token: string }>('/api/tokens', { name: 'home app', scopes: ['alarm:read'] })).body.token;
    expect(token).toBeTruthy();
    const hub2 = await restart();
    const session = await owner.get<{ footageUnlocked: boolean }>('/api/session');
    expect(session.status).toBe(200);
    expect(session.body.footageUnlocked).toBe(false);
    const refused = await owner.get<{ error: { code: string; message: string } }>(`/api/clips/${clip.id}/video`);
    expect(refused.status).toBe(423);
    expect(refused.body.error.code).toBe('HUB_ERR_LOCKED');
    expect(refused.body.error.message).toMatch(/type your password/);
    // An API token is not a password: even with the password in the body it cannot unlock.
    const byToken = await fetch(`${hub2.url}/api/auth/unlock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: OWNER.password }),
    });
    expect(byToken.status).toBe(403);
    expect(hub2.hub.core.vault.isUnlocked(me)).toBe(false);
    // A wrong password unlocks nothing.
    const wrong = await owner.post('/api/auth/unlock', { password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(hub2.hub.core.vault.isUnlocked(me)).toBe(false);
    expect((await owner.get(`/api/clips/${clip.id}/video`)).status).toBe(423);
    const ok = await owner.post<{ footageUnlocked: boolean }>('/api/auth/unlock', { password: OWNER.password });
    expect(ok.status).toBe(200);
    expect(ok.body.footageUnlocked).toBe(true);
    const video = await bytes(owner, `/api/clips/${clip.id}/video`);
    expect(video.status).toBe(200);
    expect(sha(video.body)).toBe(clip.sha256);
    const audit = (await hub2.hub.core.audit.entries()).map((e) => e.action);
    expect(audit).toContain('unlock.failed');
  }, 60_000);

  it('re-wraps at a password change, and opens the same key with the recovery code after a forgotten password', async () => {
    dir = await tempDir();
    t = await startTestHub({ dataDir: dir, config: CONFIG });
    const { client: owner, recoveryCode } = await claimOwner(t);
    const me = (await owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const vault = t.hub.core.vault;
    const recipient = await vault.recipientOf(me);
    const clip = await makeClip(t, { startTs: Date.now() - 60_000, seconds: 1, cameraId: 'front-door-cam' });

    const changed = await owner.post('/api/account/password', { currentPassword: OWNER.password, newPassword: 'a new long password 1' });
    expect(changed.status).toBe(200);
    expect(await vault.identityFromPassword(me, OWNER.password)).toBeNull();
    const key = await vault.identityFromPassword(me, 'a new long password 1');
    expect(key).toMatch(/^AGE-SECRET-KEY-1/);
    expect(await vault.recipientOf(me)).toBe(recipient);

    // Forgotten: a wrong recovery code opens nothing and is audited.
    const anon = new ApiClient(t.url);
    const bad = await anon.post('/api/auth/recover', {
      username: OWNER.username,
      recoveryCode: 'AAAA-AAAA-AAAA-AAAA-AAAA',
      newPassword: 'recovered password 22',
    });
    expect(bad.status).toBe(401);
    // The right one: a new password, a new code (the old one is spent), every session signed out.
    const rec = await anon.post<{ recoveryCode: string }>('/api/auth/recover', {
      username: OWNER.username,
      recoveryCode: recoveryCode.toLowerCase().replace(/-/g, ' '),
      newPassword: 'recovered password 22',
    });
    expect(rec.status).toBe(200);
    expect(rec.body.recoveryCode).toMatch(CODE);
    expect(rec.body.recoveryCode).not.toBe(recoveryCode);
    expect((await owner.get('/api/session')).status).toBe(401);
    expect(vault.isUnlocked(me)).toBe(false);
    const again = await anon.post('/api/auth/recover', {
      username: OWNER.username,
      recoveryCode,
      newPassword: 'another password 333',
    });
    expect(again.status).toBe(401);
    expect((await owner.login(OWNER.username, 'a new long password 1')).status).toBe(401);
    expect((await owner.login(OWNER.username, 'recovered password 22')).status).toBe(200);
    // The same key (the same recipient), so footage kept before opens.
    expect(await vault.recipientOf(me)).toBe(recipient);
    const video = await bytes(owner, `/api/clips/${clip.id}/video`);
    expect(video.status).toBe(200);
    expect(sha(video.body)).toBe(clip.sha256);
    const actions = (await t.hub.core.audit.entries()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['keys.created', 'keys.rewrapped', 'recovery.failed', 'account.recovered']));
  }, 60_000);

  it('seals the hub signing key to the owner: signed packages and logs only while she is signed in', async () => {
    dir = await tempDir();
    t = await startTestHub({ dataDir: dir, config: CONFIG });
    const { client: owner } = await claimOwner(t);
    const idDir = join(dir, 'identity');
    // The clear key is gone from the card as soon as the owner has a key.
    expect(existsSync(join(idDir, 'hub-ed25519.key'))).toBe(false);
    const sealed = await readFile(join(idDir, 'hub-ed25519.key.age'));
    expect(sealed.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(sealed.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
    const identity = () => t?.hub.core.module<import('../../../hub/identity/identity-module.js').IdentityModule>('identity')?.identity;
    expect(identity()?.canSign).toBe(true);

    // After a restart nobody's key is in memory, so the hub cannot sign, even for a session
    // whose cookie is still good: an incident log (signed) is refused as locked until she unlocks.
    const hub2 = await restart();
    expect(identity()?.canSign).toBe(false);
    expect(() => identity()?.sign(Buffer.from('forged'))).toThrow(/only while the owner is signed in/);
    const lockedLog = await owner.post<{ error: { code: string } }>('/api/incident-logs', { title: 'x', fromTs: 0, toTs: Date.now() });
    expect(lockedLog.status).toBe(423);
    expect(lockedLog.body.error.code).toBe('HUB_ERR_LOCKED');
    expect((await owner.post('/api/auth/unlock', { password: OWNER.password })).status).toBe(200);
    expect(identity()?.canSign).toBe(true);
    const made = await owner.post<{ log: { id: string } }>('/api/incident-logs', { title: 'x', fromTs: 0, toTs: Date.now() });
    expect(made.status).toBe(200);
    expect(hub2.hub.core.vault.ownerIdentities()).toHaveLength(1);
    // Signed out: the key leaves memory again.
    await owner.post('/api/auth/logout');
    expect(identity()?.canSign).toBe(false);
  }, 60_000);
});
