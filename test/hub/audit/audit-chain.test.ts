/**
 * The audit log as the owner and an attacker meet it: readable by the owner only, never
 * editable through the API or SQL while the triggers stand, and an edit made with the
 * triggers dropped (someone with the SD card) is found by `sanctuary verify --audit`.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditModule } from '../../../hub/audit/audit-module.js';
import { verifyAuditDatabase } from '../../../hub/audit/audit-readonly.js';
import { Database } from '../../../hub/storage/database.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run('node', ['--import', 'tsx', 'app/main.ts', 'verify', ...args], { cwd: process.cwd() }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );

describe('audit log', () => {
  let t: TestHub | null = null;
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.close();
    t = null;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('lets the owner read and verify it; nobody else, and no route edits or deletes', async () => {
    const audit = new AuditModule();
    t = await startTestHub({ modules: [audit] });
    const owner = await ownerClient(t.url, t.setupCode);
    const police = await invitedClient(t.url, owner, 'police', 'pc-jones');
    const advocate = await invitedClient(t.url, owner, 'advocate', 'adv-kim');
    const list = await owner.get<{ count: number; entries: Array<{ seq: number; action: string; hash: string; prevHash: string }> }>(
      '/api/audit',
    );
    expect(list.status).toBe(200);
    expect(list.body.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['owner.created', 'login', 'invite.created', 'invite.accepted']),
    );
    // The owner's listing shows what happened, not the chain's numbers (a gap could say that a
    // silent entry was left out); the chain is checked by /api/audit/verify.
    for (const e of list.body.entries) expect(Object.keys(e).sort()).toEqual(['action', 'actor', 'subject', 'ts']);
    const logins = await owner.get<{ entries: Array<{ action: string }> }>('/api/audit?action=login');
    expect(logins.body.entries.every((e) => e.action === 'login')).toBe(true);
    for (const c of [police, advocate]) {
      expect((await c.get('/api/audit')).status).toBe(403);
      expect((await c.get('/api/audit/verify')).status).toBe(403);
    }
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      expect((await owner.request(method, '/api/audit/1', {})).status).toBe(404);
      expect((await owner.request(method, '/api/audit', {})).status).toBe(404);
    }
    const head = (await t.hub.core.audit.head())?.seq;
    const v = await owner.get<{ ok: boolean; count: number }>('/api/audit/verify');
    expect(v.body).toEqual({ ok: true, count: head });
    // Even with SQL access inside the hub, the triggers refuse edits and deletions.
    await expect(t.hub.core.db.run("UPDATE audit_log SET action = 'x' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(t.hub.core.db.run('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
  });

  it('writes entries for alerts from the bus (clips are audited by the recorder itself)', async () => {
    const audit = new AuditModule();
    t = await startTestHub({ modules: [audit] });
    const sha = 'ab'.repeat(32);
    t.hub.bus.emit('clip.saved', {
      source: 'recorder',
      clipId: 'c1',
      cameraId: 'cam',
      trigger: 'person',
      startTs: 1,
      endTs: 2,
      size: 3,
      sha256: sha,
      snapshotSha256: null,
    });
    t.hub.bus.emit('alert.raised', { source: 'alerts', alertId: 'a1', kind: 'intrusion', status: 'awaiting_consent', silent: false });
    t.hub.bus.emit('alert.status_changed', {
      source: 'alerts',
      alertId: 'a1',
      silent: false,
      kind: 'intrusion',
      channel: 'arc',
      status: 'sent',
      detail: 'ACK',
    });
    await audit.settled();
    const entries = (await t.hub.core.audit.entries()).filter((e) => e.action.startsWith('clip.') || e.action.startsWith('alert.'));
    // The bridge leaves clip.saved to the recorder, which writes it with the clip's path: no duplicate.
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['alert.raised', 'alerts'],
      ['alert.status_changed', 'alerts'],
    ]);
    expect(entries[0]?.subject).toMatchObject({ alertId: 'a1', kind: 'intrusion' });
    expect(entries[1]?.subject).toMatchObject({ status: 'sent', channel: 'arc' });
  });

  it('sanctuary verify --audit names the entry an attacker edited or removed with the triggers dropped', async () => {
    const dataDir = await tempDir('sanctuary-audit-');
    dirs.push(dataDir);
    t = await startTestHub({ modules: [], dataDir, keepDataDir: true });
    const owner = await ownerClient(t.url, t.setupCode);
    await invitedClient(t.url, owner, 'police', 'pc-jones');
    const count = (await t.hub.core.audit.entries()).length;
    await t.close();
    t = null;

    const clean = await cli(['--audit', '--data-dir', dataDir]);
    expect(clean.out).toContain(`ok    audit log: ${count} entries`);
    expect(clean.code).toBe(0);

    // The attacker has the SD card: drops the triggers and rewrites who invited the police officer.
    const db = await Database.open(join(dataDir, 'sanctuary.db'));
    try {
      await db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
      const target = await db.get<{ seq: number }>("SELECT seq FROM audit_log WHERE action = 'invite.created'");
      await db.run('UPDATE audit_log SET subject = ? WHERE seq = ?', ['{"displayName":"someone else","role":"police"}', target?.seq ?? 0]);
      const edited = await cli(['--audit', '--data-dir', dataDir]);
      expect(edited.code).toBe(1);
      expect(edited.out).toContain(`FAIL  audit log: entry ${target?.seq} was altered (its hash does not match its content)`);

      // Put it back, then delete an entry instead (the "logs deleted" abuse pattern).
      await db.run("UPDATE audit_log SET subject = '{}' WHERE seq = ?", [target?.seq ?? 0]);
      const login = await db.get<{ seq: number }>("SELECT seq FROM audit_log WHERE action = 'login' ORDER BY seq LIMIT 1");
      await db.run('DELETE FROM audit_log WHERE seq = ?', [login?.seq ?? 0]);
      const v = await verifyAuditDatabase(join(dataDir, 'sanctuary.db'));
      expect(v).toMatchObject({
        ok: false,
        seq: (login?.seq ?? 0) + 1,
        problem: `sequence gap: expected entry ${login?.seq}, found ${(login?.seq ?? 0) + 1}`,
      });
    } finally {
      await db.close();
    }
    const missing = await cli(['--audit', '--data-dir', join(dataDir, 'nope')]);
    expect(missing.code).toBe(2);
  }, 60_000);
});
