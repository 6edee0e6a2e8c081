/**
 * The plugin's link to the hub, against a real hub: the event feed with the owner's token, a hub
 * that goes away and comes back on the same address, and a token the hub refuses.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmModule } from '../../../hub/alarm/module.js';
import { HubClient } from '../../../plugins/homebridge-sanctuary/src/hub-client.js';
import { type FeedLog, HubFeed } from '../../../plugins/homebridge-sanctuary/src/hub-feed.js';
import { ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { freePort } from './homebridge-process.js';

class RecordingLog implements FeedLog {
  readonly lines: string[] = [];
  debug(msg: string) {
    this.lines.push(`debug ${msg}`);
  }
  info(msg: string) {
    this.lines.push(`info ${msg}`);
  }
  warn(msg: string) {
    this.lines.push(`warn ${msg}`);
  }
  error(msg: string) {
    this.lines.push(`error ${msg}`);
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hub feed', () => {
  let hub: TestHub | null = null;
  let feed: HubFeed | null = null;
  let dataDir: string | null = null;

  afterEach(async () => {
    feed?.stop();
    feed = null;
    await hub?.close();
    hub = null;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = null;
  });

  it('follows the hub through a restart, re-reading state on each connect and reporting the outage once', async () => {
    dataDir = await tempDir();
    const port = await freePort();
    hub = await startTestHub({ dataDir, config: { http: { port } } });
    const owner = await ownerClient(hub.url, hub.setupCode);
    const issued = await owner.post<{ token: string }>('/api/tokens', { name: 'Homebridge', scopes: ['events:read', 'sensors:read'] });
    expect(issued.status).toBe(200);
    const client = new HubClient(hub.url, issued.body.token, 2000);

    const log = new RecordingLog();
    let opens = 0;
    let downs = 0;
    const doorbells: string[] = [];
    feed = new HubFeed(
      { hubUrl: hub.url, headers: client.authHeaders(), initialDelayMs: 50, maxDelayMs: 200 },
      {
        onOpen: async () => {
          await client.cameras();
          opens += 1;
        },
        onEvent: (name, event) => {
          if (name === 'camera.doorbell') doorbells.push(String(event.cameraId));
        },
        onDown: () => {
          downs += 1;
        },
      },
      log,
    );
    feed.start();
    await until('first connect', () => opens === 1 && feed?.connected === true);
    hub.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'front' });
    await until('first doorbell', () => doorbells.length === 1);

    await hub.close();
    hub = null;
    await until('outage noticed', () => downs === 1);
    expect(feed.connected).toBe(false);
    // Let several retries fail: the outage is still reported once.
    await until('retries', () => log.lines.filter((l) => l.startsWith('debug hub still unreachable')).length >= 2);
    expect(downs).toBe(1);

    hub = await startTestHub({ dataDir, config: { http: { port } } });
    await until('reconnect', () => opens === 2 && feed?.connected === true);
    hub.hub.bus.emit('camera.doorbell', { source: 'test', cameraId: 'back' });
    await until('second doorbell', () => doorbells.length === 2);
    expect(doorbells).toEqual(['front', 'back']);
    expect(log.lines.filter((l) => l.startsWith('info connected to the hub'))).toHaveLength(2);
    expect(log.lines.join('\n')).not.toContain(issued.body.token);
  });

  it('says so when the hub refuses the token, and keeps retrying', async () => {
    hub = await startTestHub();
    const log = new RecordingLog();
    let downs = 0;
    feed = new HubFeed(
      { hubUrl: hub.url, headers: { authorization: 'Bearer sat_not-a-real-token' }, initialDelayMs: 50, maxDelayMs: 100 },
      {
        onOpen: async () => {
          throw new Error('must not open');
        },
        onEvent: () => undefined,
        onDown: () => {
          downs += 1;
        },
      },
      log,
    );
    feed.start();
    await until('refusal', () => downs === 1);
    expect(log.lines[0]).toMatch(/^warn cannot reach the hub at .*HTTP 401 \(the hub refused the token: issue a new one\)/);
    await until('retry', () => log.lines.some((l) => l.startsWith('debug hub still unreachable')));
    expect(log.lines.join('\n')).not.toContain('sat_not-a-real-token');
  });

  it('names the missing scope when the state cannot be read, and keeps retrying', async () => {
    hub = await startTestHub({ modules: [new AlarmModule()] });
    const owner = await ownerClient(hub.url, hub.setupCode);
    const issued = await owner.post<{ token: string }>('/api/tokens', { name: 'Homebridge', scopes: ['events:read'] });
    const client = new HubClient(hub.url, issued.body.token, 2000);
    const log = new RecordingLog();
    let downs = 0;
    let attempts = 0;
    feed = new HubFeed(
      { hubUrl: hub.url, headers: client.authHeaders(), initialDelayMs: 50, maxDelayMs: 100 },
      {
        onOpen: async () => {
          attempts += 1;
          await client.alarm();
        },
        onEvent: () => undefined,
        onDown: () => {
          downs += 1;
        },
      },
      log,
    );
    feed.start();
    await until('retries', () => attempts >= 3);
    expect(downs).toBe(1);
    expect(log.lines[0]).toMatch(
      /^warn cannot reach the hub at .*: reading the hub's state failed: SANCTUARY_HB_FORBIDDEN: GET \/api\/alarm: .*alarm:read/,
    );
    expect(feed.connected).toBe(false);
  });

  it('turns HTTP failures into coded errors', async () => {
    hub = await startTestHub();
    const owner = await ownerClient(hub.url, hub.setupCode);
    const issued = await owner.post<{ token: string }>('/api/tokens', { name: 'Homebridge', scopes: ['events:read'] });
    await expect(new HubClient(hub.url, issued.body.token, 2000).cameras()).rejects.toMatchObject({
      code: 'SANCTUARY_HB_FORBIDDEN',
      status: 403,
    });
    await expect(new HubClient(hub.url, 'sat_wrong', 2000).cameras()).rejects.toMatchObject({ code: 'SANCTUARY_HB_UNAUTHENTICATED' });
    await expect(new HubClient('http://127.0.0.1:9', 'sat_x', 2000).cameras()).rejects.toMatchObject({ code: 'SANCTUARY_HB_UNREACHABLE' });
  });
});
