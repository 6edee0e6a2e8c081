/**
 * Numbered, forward-only schema migrations. Each concern owns its migration files; the list
 * below is the order they run in. A migration that fails rolls back and stops the hub.
 */
import { HubError } from '../api/errors.js';
import type { Database } from './database.js';
import { MIGRATIONS } from './migrations/index.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const done = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.version === sorted[i - 1]?.version) {
      throw new HubError('HUB_ERR_MIGRATION', `two migrations share version ${sorted[i]?.version}`);
    }
  }
  const applied: number[] = [];
  for (const m of sorted) {
    if (done.has(m.version)) continue;
    try {
      await db.transaction(async () => {
        await db.exec(m.sql);
        await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      });
    } catch (err) {
      throw new HubError('HUB_ERR_MIGRATION', `migration ${m.version} (${m.name}) failed`, { cause: err });
    }
    applied.push(m.version);
  }
  return applied;
}
