/**
 * The alarm writes a state change before it announces it: whoever hears `alarm.state_changed`
 * (the recorder, alerts, a Homebridge bridge over MQTT) can already read it back from a second
 * connection, i.e. it is committed and survives a power cut at that moment. When the write fails
 * (a real database failure, injected with a trigger) the state row and history stay consistent,
 * the failure is logged, and the alarm still sounds: a dead SD card must not silence an intruder.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmModule } from '../../../hub/alarm/module.js';
import type { EventMap } from '../../../hub/api/events.js';
import { Database } from '../../../hub/storage/database.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

describe('alarm: write before announce', () => {
  let t: TestHub | null = null;
  let reader: Database | null = null;
  afterEach(async () => {
    await reader?.close();
    reader = null;
    await t?.close();
    t = null;
  });

  async function start(): Promise<{ t: TestHub; alarm: AlarmModule; reader: Database }> {
    const alarm = new AlarmModule();
    t = await startTestHub({ modules: [alarm], config: { alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0 } } });
    reader = await Database.open(t.hub.core.db.path, { readOnly: true });
    return { t, alarm, reader };
  }

  it('a listener of alarm.state_changed already finds the state and its history committed', async () => {
    const { t, alarm, reader } = await start();
    const seen: Array<Promise<{ event: EventMap['alarm.state_changed']; state?: string; history?: string }>> = [];
    const off = t.hub.core.bus.on('alarm.state_changed', 'test', (e) => {
      // Read from another connection at the very moment of the announcement: only committed rows show.
      seen.push(
        Promise.all([
          reader.get<{ state: string }>('SELECT state FROM alarm_state WHERE id = 1'),
          reader.get<{ to_state: string }>('SELECT to_state FROM alarm_history ORDER BY seq DESC LIMIT 1'),
        ]).then(([s, h]) => ({ event: e, ...(s ? { state: s.state } : {}), ...(h ? { history: h.to_state } : {}) })),
      );
    });
    await alarm.arm({ mode: 'armed_away', userId: 'owner-test', force: true, viaToken: true });
    await alarm.disarm({ userId: 'owner-test', viaToken: true });
    off();
    const results = await Promise.all(seen);
    expect(results.map((r) => r.event.to)).toEqual(['armed_away', 'disarmed']);
    for (const r of results) {
      expect(r.state).toBe(r.event.to);
      expect(r.history).toBe(r.event.to);
    }
  });

  it('a failing write leaves state and history consistent, is logged, and still sounds the alarm', async () => {
    const { t, alarm } = await start();
    await alarm.arm({ mode: 'armed_away', userId: 'owner-test', force: true, viaToken: true });
    await alarm.setLoudPanic('owner-test', true);
    // A real failure of the real database: the history insert aborts, so the whole transition rolls back.
    await t.hub.core.db.exec(
      "CREATE TEMP TRIGGER history_fails BEFORE INSERT ON alarm_history BEGIN SELECT RAISE(ABORT, 'injected disk failure'); END",
    );
    const announced: string[] = [];
    const off = t.hub.core.bus.on('alarm.triggered', 'test', (e) => {
      announced.push(e.reason);
    });
    await expect(alarm.panic('api', 'owner-test')).rejects.toThrow('injected disk failure');
    off();
    expect(announced).toEqual(['panic']);
    const row = await t.hub.core.db.get<{ state: string }>('SELECT state FROM alarm_state WHERE id = 1');
    expect(row?.state).toBe('armed_away');
    expect(t.logs.find((l) => l.msg === 'could not store an alarm state change; announcing it anyway')).toBeDefined();
  });
});
