import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../../hub/mqtt/broker.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';
import { startMosquitto, stopMosquitto as stopProcess } from '../../helpers/mosquitto.js';
import { freePort, waitFor } from '../../helpers/ports.js';

describe('MQTT broker', () => {
  let t: TestHub | null = null;
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.close();
    t = null;
    for (const p of procs) await stopProcess(p);
    procs.length = 0;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('the embedded broker refuses to listen beyond loopback without credentials', async () => {
    await expect(
      startEmbeddedBroker({ host: '0.0.0.0', port: 0, username: null, password: null, log: new LogCapture().logger }),
    ).rejects.toThrow(/only with mqtt.username and mqtt.password/);
  });

  it('the embedded broker with credentials refuses a client with the wrong password', async () => {
    const logs = new LogCapture();
    const broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      username: 'z2m',
      password: 'long secret value',
      log: logs.logger,
    });
    try {
      const refused = await new Promise<string>((resolve) => {
        const c = mqtt.connect(broker.url, { username: 'z2m', password: 'wrong', reconnectPeriod: 0 });
        c.once('connect', () => c.end(true, () => resolve('connected')));
        c.once('error', (err) => c.end(true, () => resolve(err.message)));
      });
      expect(refused).toMatch(/Not authorized|Bad username or password/i);
      const ok = await mqtt.connectAsync(broker.url, { username: 'z2m', password: 'long secret value', reconnectPeriod: 0 });
      await ok.endAsync(true);
      expect(logs.text()).not.toContain('long secret value');
    } finally {
      await broker.close();
    }
  });

  it('uses an external broker (mosquitto) when configured, and reconnects after it restarts', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const port = await freePort();
    procs.push(await startMosquitto(port, dir));
    t = await startTestHub({ config: { mqtt: { url: `mqtt://127.0.0.1:${port}` } } });
    expect(t.mqttUrl).toBe(`mqtt://127.0.0.1:${port}`);
    expect(t.hub.health.get('broker')?.status).toBe('ok');
    // The hub's link delivers messages from the external broker.
    const got: string[] = [];
    await t.hub.core.mqtt.subscribe('test/#', 'test', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    await pub.publishAsync('test/one', 'hello', { qos: 1 });
    await pub.endAsync(true);
    await waitFor(() => got.includes('test/one=hello'), 'message via external broker');

    const first = procs.pop();
    if (first) await stopProcess(first);
    await waitFor(() => t?.hub.health.get('broker')?.status === 'degraded', 'broker marked degraded');
    procs.push(await startMosquitto(port, dir));
    await waitFor(() => t?.hub.health.get('broker')?.status === 'ok', 'broker reconnected', 15_000);
    // Subscriptions are restored after the reconnect.
    const pub2 = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    await pub2.publishAsync('test/two', 'again', { qos: 1 });
    await pub2.endAsync(true);
    await waitFor(() => got.includes('test/two=again'), 'message after reconnect');
  });
});
