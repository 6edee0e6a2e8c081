/**
 * Nothing lost across a kill: a panic the event log stored in a run that died before its alert
 * was recorded (the state a SIGKILL between the two leaves: the event row, no alert row) is
 * raised when the hub starts again, reaches the ARC, and is not raised a second time after
 * another restart. A silent panic caught up stays silent.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertsModule } from '../../../hub/alerts/alerts-module.js';
import { Database } from '../../../hub/storage/database.js';
import type { TestHub } from '../../helpers/hub.js';
import { allAlerts, panicConsentedHome, startAlertHub, until } from './alert-hub.js';

describe('alarms left without an alert by a kill', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a panic stored just before a kill becomes its alert at the next start, once', { timeout: 60_000 }, async () => {
    const { arc, dataDir } = await panicConsentedHome(cleanup);

    // What the killed run left: the panic in the event log (as the event log writes it), no alert.
    const correlationId = randomUUID();
    const ts = Date.now() - 5000;
    const db = await Database.open(join(dataDir, 'sanctuary.db'));
    await db.run('INSERT INTO events (ts, name, source, correlation_id, payload) VALUES (?, ?, ?, ?, ?)', [
      ts,
      'panic',
      'alarm',
      correlationId,
      JSON.stringify({ source: 'alarm', origin: 'app', userId: null, loud: false, ts, correlationId }),
    ]);
    await db.close();

    let t: TestHub = await startAlertHub({ receiver: arc, dataDir });
    await arc.waitFor((r) => r.alarms().length === 1, 10_000);
    expect(arc.alarms().map((f) => f.code)).toEqual(['PA']);
    const raised = await until(
      () => allAlerts(t),
      (l) => l.length === 1 && l[0]?.status === 'acknowledged',
    );
    expect(raised[0]).toMatchObject({ kind: 'panic', silent: true });
    const rows = (await t.hub.core.module<AlertsModule>('alerts')?.outbox?.store.list({ includeSilent: true, limit: 10 })) ?? [];
    expect(rows.map((r) => r.correlation_id)).toEqual([correlationId]);
    expect(rows[0]?.text).toContain(`at ${new Date(ts).toISOString()} (raised after the hub restarted)`);
    await t.close();

    // Another restart: the alert exists now, nothing is raised again.
    t = await startAlertHub({ receiver: arc, dataDir });
    const hub = t;
    cleanup.push(() => hub.close());
    await new Promise((r) => setTimeout(r, 1500));
    expect(await allAlerts(t)).toHaveLength(1);
    expect(arc.alarms()).toHaveLength(1);
  });
});
