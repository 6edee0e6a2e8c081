import { describe, expect, it } from 'vitest';
import { HubEventBus } from '../../../hub/bus/event-bus.js';
import { LogCapture } from '../../helpers/log-capture.js';

describe('event bus', () => {
  it('fills ts and correlationId, and a throwing listener neither stops others nor the emitter', async () => {
    const logs = new LogCapture();
    const bus = new HubEventBus(logs.logger, { now: () => 1234 });
    const seen: string[] = [];
    bus.on('camera.doorbell', 'bad-listener', () => {
      throw new Error('boom');
    });
    bus.on('camera.doorbell', 'async-bad', async () => {
      throw new Error('async boom');
    });
    bus.on('camera.doorbell', 'good', (e) => {
      seen.push(`${e.cameraId}@${e.ts}`);
    });
    const e = bus.emit('camera.doorbell', { source: 'test', cameraId: 'front' });
    expect(e.ts).toBe(1234);
    expect(e.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen).toEqual(['front@1234']);
    await new Promise((r) => setImmediate(r));
    const errors = logs.errors();
    expect(errors.map((l) => l.owner).sort()).toEqual(['async-bad', 'bad-listener']);
  });

  it('disposers unsubscribe, and onAny sees every event', () => {
    const bus = new HubEventBus(new LogCapture().logger);
    const names: string[] = [];
    const offAny = bus.onAny('all', (name) => {
      names.push(name);
    });
    let count = 0;
    const off = bus.on('panic', 'counter', () => {
      count++;
    });
    bus.emit('panic', { source: 'api', origin: 'api', userId: null, loud: false });
    off();
    bus.emit('panic', { source: 'api', origin: 'api', userId: null, loud: false });
    offAny();
    bus.emit('duress', { source: 'alarm', userId: null });
    expect(count).toBe(1);
    expect(names).toEqual(['panic', 'panic']);
  });
});
