import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, verifyChain } from '../../../hub/audit/audit-log.js';
import { Database } from '../../../hub/storage/database.js';
import { migrate } from '../../../hub/storage/migrate.js';

describe('audit log', () => {
  let db: Database | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('chains entries and refuses updates and deletes at the database', async () => {
    db = await Database.open(':memory:');
    await migrate(db);
    const audit = new AuditLog(db);
    await Promise.all([1, 2, 3, 4, 5].map((i) => audit.append({ action: 'test', actor: 'u1', subject: { i } })));
    const entries = await audit.entries();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    expect(await audit.verify()).toEqual({ ok: true, count: 5 });
    await expect(db.run("UPDATE audit_log SET action = 'x' WHERE seq = 2")).rejects.toThrow(/append-only/);
    await expect(db.run('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only/);
  });

  it('names the first broken link when an entry is edited, removed or reordered', async () => {
    db = await Database.open(':memory:');
    await migrate(db);
    const audit = new AuditLog(db);
    for (let i = 0; i < 4; i++) await audit.append({ action: 'test', actor: null, subject: { i } });
    const entries = await audit.entries();
    const edited = entries.map((e) => (e.seq === 3 ? { ...e, subject: { i: 99 } } : e));
    expect(verifyChain(edited)).toMatchObject({ seq: 3 });
    const removed = entries.filter((e) => e.seq !== 2);
    expect(verifyChain(removed)).toMatchObject({ seq: 3 });
    const a = entries[1];
    const b = entries[2];
    if (!a || !b) throw new Error('fixture');
    const reordered = [entries[0], b, a, entries[3]].filter((e) => e !== undefined);
    expect(verifyChain(reordered)).toMatchObject({ seq: 3 });
  });
});
