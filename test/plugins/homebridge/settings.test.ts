import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../plugins/homebridge-sanctuary/src/backoff.js';
import { SanctuaryPluginError } from '../../../plugins/homebridge-sanctuary/src/errors.js';
import { parseAlarm, parseCameras, parseFeedMessage } from '../../../plugins/homebridge-sanctuary/src/hub-types.js';
import { parseConfig } from '../../../plugins/homebridge-sanctuary/src/settings.js';

function configError(raw: Record<string, unknown>): string {
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(SanctuaryPluginError);
    expect((err as SanctuaryPluginError).code).toBe('SANCTUARY_HB_CONFIG');
    return (err as Error).message;
  }
  throw new Error('expected a config error');
}

describe('platform config', () => {
  it('fills defaults and trims the hub URL', () => {
    const c = parseConfig({ hubUrl: 'http://hub.local:8080/', token: 'sat_abc' });
    expect(c).toMatchObject({
      name: 'Sanctuary',
      hubUrl: 'http://hub.local:8080',
      contactSensors: true,
      doorbell: true,
      personSensor: true,
      personTimeoutSeconds: 120,
      pollSeconds: 60,
      reconnectInitialMs: 1000,
      reconnectMaxMs: 30_000,
    });
  });

  it('names the field that is wrong', () => {
    expect(configError({ token: 'sat_abc' })).toBe('config "hubUrl" is required');
    expect(configError({ hubUrl: 'ftp://hub', token: 'sat_abc' })).toMatch(/"hubUrl" must start with http/);
    expect(configError({ hubUrl: 'http://u:p@hub', token: 'sat_abc' })).toMatch(/"hubUrl" must not contain a user name/);
    expect(configError({ hubUrl: 'not a url', token: 'sat_abc' })).toMatch(/"hubUrl" is not a valid URL/);
    expect(configError({ hubUrl: 'http://hub' })).toBe('config "token" is required');
    expect(configError({ hubUrl: 'http://hub', token: 'sat abc' })).toMatch(/"token" must not contain spaces/);
    expect(configError({ hubUrl: 'http://hub', token: 't', pollSeconds: 1 })).toBe('config "pollSeconds" must be between 5 and 3600');
    expect(configError({ hubUrl: 'http://hub', token: 't', doorbell: 'yes' })).toBe('config "doorbell" must be true or false');
  });

  it('never puts the token in an error message', () => {
    const message = configError({ hubUrl: 'http://hub', token: 'sat secret-value' });
    expect(message).not.toContain('secret-value');
  });
});

describe('hub responses', () => {
  it('reads an alarm status and its sensors', () => {
    const a = parseAlarm({
      state: 'armed_away',
      mode: 'armed_away',
      sensors: [{ id: 'front', name: 'Front door', kind: 'door', open: true, tamper: false, batteryLow: true, online: true }],
    });
    expect(a.state).toBe('armed_away');
    expect(a.sensors[0]).toMatchObject({ id: 'front', open: true, batteryLow: true, online: true });
  });

  it('turns a body of the wrong shape into a clear error', () => {
    expect(() => parseAlarm({ state: 'on_fire' })).toThrow(/unknown alarm state \(on_fire\)/);
    expect(() => parseAlarm([1])).toThrow(/not an object/);
    expect(() => parseCameras({ sensors: [] })).toThrow(/without "cameras"/);
    expect(() => parseFeedMessage('{nope')).toThrow(/not JSON/);
    expect(() => parseFeedMessage('{"type":"other"}')).toThrow(/unknown type \(other\)/);
  });
});

describe('reconnect backoff', () => {
  it('doubles up to the ceiling and starts again after a reset', () => {
    const b = new Backoff(100, 1000, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });
});
