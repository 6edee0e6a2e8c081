import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../hub/audit/audit-log.js';
import { Accounts } from '../../../hub/auth/accounts.js';
import { createHttpServer } from '../../../hub/http/server.js';
import { Database } from '../../../hub/storage/database.js';
import { migrate } from '../../../hub/storage/migrate.js';
import { Vault } from '../../../hub/vault/vault.js';
import { LogCapture } from '../../helpers/log-capture.js';

describe('route access rules', () => {
  it('the server refuses to register an /api route that declares no access rule', async () => {
    const db = await Database.open(':memory:');
    await migrate(db);
    const audit = new AuditLog(db);
    const log = new LogCapture().logger;
    const accounts = new Accounts(db, audit, { sessionTtlMs: 60_000, loginAttempts: 5, loginWindowMs: 60_000 }, new Vault(db, audit, log));
    const app = await createHttpServer({ accounts, log, uiDir: null });
    try {
      expect(() => app.get('/api/secret', async () => ({ secret: true }))).toThrow(/declares no access rule/);
      expect(() => app.get('/api/fine', { config: { access: { roles: ['owner'] } } }, async () => ({}))).not.toThrow();
    } finally {
      await app.close();
      await db.close();
    }
  });
});
