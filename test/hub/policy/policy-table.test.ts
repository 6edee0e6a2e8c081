/**
 * The policy table and its decisions, on a real SQLite database: the README's table is the
 * code's table; silent facts stay silent after a restart; every outbound destination needs the
 * owner's consent for that very destination; state topics on a broker elsewhere need consent.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus } from '../../../hub/api/events.js';
import { HubEventBus } from '../../../hub/bus/event-bus.js';
import { applyChange, DEFAULT_CONSENT } from '../../../hub/consent/settings.js';
import { createLogger } from '../../../hub/log/logger.js';
import { MQTT_STATE_FLOW, stateDestination, VisibilityPolicy } from '../../../hub/policy/policy.js';
import { FACT_KINDS, POLICY, policyTableMarkdown, SURFACES } from '../../../hub/policy/visibility.js';
import { Database } from '../../../hub/storage/database.js';
import { migrate } from '../../../hub/storage/migrate.js';
import { tempDir } from '../../helpers/hub.js';

const log = createLogger({ level: 'silent' });

describe('the visibility policy', () => {
  const dbs: Database[] = [];
  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.close();
  });

  async function policyOn(dir: string): Promise<{ policy: VisibilityPolicy; bus: EventBus; db: Database }> {
    const db = await Database.open(join(dir, 'sanctuary.db'));
    dbs.push(db);
    await migrate(db);
    const policy = new VisibilityPolicy(db, log);
    await policy.load();
    const bus = new HubEventBus(log, { now: () => Date.now() });
    policy.attach(bus);
    return { policy, bus, db };
  }

  it('is written out in hub/policy/README.md exactly as the code has it', async () => {
    const readme = await readFile(new URL('../../../hub/policy/README.md', import.meta.url), 'utf8');
    const table = /<!-- policy-table:start -->\n([\s\S]*?)\n<!-- policy-table:end -->/.exec(readme)?.[1];
    expect(table).toBe(policyTableMarkdown());
    // Every fact has a rule for every surface, and silent facts are hidden wherever someone nearby could look.
    for (const f of FACT_KINDS) for (const s of SURFACES) expect(['show', 'hide', 'consent']).toContain(POLICY[f][s]);
    for (const f of ['silent_panic', 'duress'] as const) {
      for (const s of [
        'owner_app',
        'owner_notification',
        'installer_app',
        'advocate_log',
        'integration',
        'mqtt_local',
        'other_channel',
        'siren',
      ] as const) {
        expect(POLICY[f][s], `${f} on ${s}`).toBe('hide');
      }
      expect(POLICY[f].evidence_export).toBe('show');
      expect(POLICY[f].police_channel).toBe('consent');
    }
  });

  it('remembers silent correlation ids across a restart, so a covert panic clip stays hidden', async () => {
    const dir = await tempDir();
    const first = await policyOn(dir);
    const covert = first.bus.emit('panic', { source: 'alarm', origin: 'api', userId: null, loud: false });
    const loud = first.bus.emit('panic', { source: 'alarm', origin: 'api', userId: null, loud: true });
    const clip = { correlationId: covert.correlationId };
    expect(first.policy.mayShowClip('owner_app', clip)).toBe(false);
    expect(first.policy.mayShowClip('owner_app', { correlationId: loud.correlationId })).toBe(true);
    expect(first.policy.mayShow('owner_app', 'panic', loud)).toBe(true);
    expect(first.policy.mayShow('owner_app', 'panic', covert)).toBe(false);
    await waitUntilStored(first.db, covert.correlationId);
    first.policy.detach();
    await first.db.close();
    dbs.splice(dbs.indexOf(first.db), 1);

    const second = await policyOn(dir);
    expect(second.policy.mayShowClip('owner_app', clip)).toBe(false);
    expect(second.policy.mayShowClip('evidence_export', clip)).toBe(true);
    expect(second.policy.mayShow('owner_app', 'clip.saved', { correlationId: covert.correlationId })).toBe(false);
    second.policy.detach();
  });

  it('sends to a channel only when the owner switched on that very destination, for that kind', async () => {
    const { policy } = await policyOn(await tempDir());
    const hook = { id: 'webhook', police: false, destination: 'https://example.org/hook' };
    const arc = { id: 'arc', police: true, destination: 'alarm receiving centre tcp://127.0.0.1:5000, account 1234' };
    let settings = DEFAULT_CONSENT;
    policy.useConsent(() => settings);
    expect(policy.channelDecision(hook, { kind: 'tamper', silent: false }).mode).toBe('no');
    expect(policy.channelDecision(arc, { kind: 'panic', silent: true }).mode).toBe('no');

    settings = applyChange(settings, { kinds: { panic: 'automatic' } }, [hook, arc]);
    expect(policy.channelDecision(arc, { kind: 'panic', silent: true }).reason).toMatch(/not switched on/);
    settings = applyChange(settings, { channels: { arc: { on: true }, webhook: { on: true, kinds: ['tamper', 'duress'] } } }, [hook, arc]);
    expect(policy.channelDecision(arc, { kind: 'panic', silent: true }).mode).toBe('send');
    expect(policy.channelDecision(hook, { kind: 'tamper', silent: false }).mode).toBe('send');
    expect(policy.channelDecision(hook, { kind: 'intrusion', silent: false }).mode).toBe('no');
    // Duress is never stored for a non-police channel, and never sent to one.
    expect(settings.channels.webhook?.kinds).toEqual(['tamper']);
    expect(policy.channelDecision(hook, { kind: 'duress', silent: true }).mode).toBe('no');
    expect(policy.channelDecision(hook, { kind: 'panic', silent: true }).mode).toBe('no');
    // The installer points the webhook somewhere else: off until the owner agrees again.
    const moved = { ...hook, destination: 'https://elsewhere.example/hook' };
    expect(policy.channelDecision(moved, { kind: 'tamper', silent: false })).toMatchObject({ mode: 'no', reason: /somewhere else/ });
    expect(() => applyChange(settings, { channels: { nosuch: { on: true } } }, [hook, arc])).toThrow(/no outbound channel "nosuch"/);
  });

  it('publishes state topics on a broker on this machine, and on one elsewhere only once switched on', async () => {
    const { policy } = await policyOn(await tempDir());
    const here = { offMachine: false, brokerLabel: 'MQTT broker mqtt://127.0.0.1:1883' };
    const away = { offMachine: true, brokerLabel: 'MQTT broker mqtt://10.0.0.2:1883' };
    let settings = DEFAULT_CONSENT;
    policy.useConsent(() => settings);
    expect(policy.mayPublishState(here, 'alarm.state_changed', {})).toBe(true);
    expect(policy.mayPublishState(away, 'alarm.state_changed', {})).toBe(false);
    settings = applyChange(settings, { channels: { [MQTT_STATE_FLOW]: { on: true } } }, [
      { id: MQTT_STATE_FLOW, police: false, destination: stateDestination(away.brokerLabel) },
    ]);
    expect(policy.mayPublishState(away, 'alarm.state_changed', {})).toBe(true);
    expect(policy.mayPublishState({ ...away, brokerLabel: 'MQTT broker mqtt://10.9.9.9:1883' }, 'sensor.seen', {})).toBe(false);
  });
});

async function waitUntilStored(db: Database, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await db.get('SELECT 1 AS x FROM silent_facts WHERE correlation_id = ?', [id])) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('silent fact never stored');
}
