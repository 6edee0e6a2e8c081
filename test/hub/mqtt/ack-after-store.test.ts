/**
 * A QoS 1 sensor message is acknowledged to the broker only once what it caused is stored
 * (`settle`), against a real mosquitto. A hub that dies between delivery and store (its link is
 * cut while `settle` is still pending) gets the message again from its persistent session; one
 * that stored it does not. A message the broker replays before any plugin has subscribed waits,
 * unacknowledged, until a plugin claims it, and the plugin's subscribe does not hang on the
 * SUBACK that mqtt.js cannot read meanwhile.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthRegistry } from '../../../hub/health/health.js';
import { HubMqttLink } from '../../../hub/mqtt/link.js';
import { tempDir } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';
import { startMosquitto, stopMosquitto } from '../../helpers/mosquitto.js';
import { freePort, waitFor } from '../../helpers/ports.js';

const TOPIC = 'home/hall/front-door';

describe('MQTT: acknowledged only once stored', () => {
  let broker: ChildProcess | null = null;
  const links: HubMqttLink[] = [];
  const clients: mqtt.MqttClient[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) await l.close();
    for (const c of clients.splice(0)) await c.endAsync(true);
    if (broker) await stopMosquitto(broker);
    broker = null;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function start(): Promise<number> {
    const dir = await tempDir('sanctuary-mosq-');
    dirs.push(dir);
    const port = await freePort();
    broker = await startMosquitto(port, dir, { persistence: true });
    return port;
  }

  function link(port: number, settle: () => Promise<void>): HubMqttLink {
    const l = new HubMqttLink(
      `mqtt://127.0.0.1:${port}`,
      { username: null, password: null },
      new LogCapture().logger,
      new HealthRegistry(null).reporter('broker'),
      {
        clientId: 'sanctuary-hub-ack-test',
        settle,
      },
    );
    links.push(l);
    return l;
  }

  async function gateway(port: number): Promise<mqtt.MqttClient> {
    const gw = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'z2m-gateway', reconnectPeriod: 100 });
    clients.push(gw);
    await waitFor(() => gw.connected, 'gateway connected');
    return gw;
  }

  /** The hub dies (its connection is cut, nothing more is sent) and a new one starts with the same id. */
  async function dieAndRestart(port: number, first: HubMqttLink): Promise<string[]> {
    await first.close();
    links.splice(links.indexOf(first), 1);
    const seen: string[] = [];
    const second = link(port, async () => undefined);
    await second.connect(5000);
    await second.subscribe(TOPIC, 'sensors', (_t, p) => seen.push(p.toString()));
    second.ready();
    // Long enough for mosquitto to resend what was in flight for the session.
    await new Promise((r) => setTimeout(r, 1500));
    return seen;
  }

  it('a message whose store never finished comes again after the hub dies; a stored one does not', { timeout: 30_000 }, async () => {
    const port = await start();
    // First run: the store of the second message never finishes (the hub is killed first).
    const seen: string[] = [];
    let hold = false;
    const held: Array<() => void> = [];
    const first = link(port, () => (hold ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve()));
    await first.connect(5000);
    await first.subscribe(TOPIC, 'sensors', (_t, p) => seen.push(p.toString()));
    first.ready();
    const gw = await gateway(port);
    await gw.publishAsync(TOPIC, 'stored', { qos: 1 });
    await waitFor(() => seen.includes('stored'), 'first message delivered');
    hold = true;
    await gw.publishAsync(TOPIC, 'not-stored', { qos: 1 });
    await waitFor(() => seen.includes('not-stored') && held.length === 1, 'second message delivered, its store pending');

    const again = await dieAndRestart(port, first);
    // Only the message that was never acknowledged comes back.
    expect(again).toEqual(['not-stored']);
    for (const r of held) r();
  });

  it('a message replayed before any plugin subscribed waits for its plugin, and is acknowledged after its store', {
    timeout: 30_000,
  }, async () => {
    const port = await start();
    // A previous run made the persistent session and its subscription, then went away.
    const before = link(port, async () => undefined);
    await before.connect(5000);
    await before.subscribe(TOPIC, 'sensors', () => undefined);
    before.ready();
    await before.close();
    links.splice(links.indexOf(before), 1);
    const gw = await gateway(port);
    await gw.publishAsync(TOPIC, 'while-away', { qos: 1 });

    // This run: the broker replays the queued message on connect, before the plugin subscribes.
    const stores: string[] = [];
    const seen: string[] = [];
    let releaseStore: () => void = () => undefined;
    const storeDone = new Promise<void>((resolve) => {
      releaseStore = resolve;
    });
    const l = link(port, async () => {
      stores.push(seen.at(-1) ?? '(unclaimed)');
      await storeDone;
    });
    await l.connect(5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(stores).toEqual([]);
    // Another plugin subscribes a new topic first: its subscribe must not wait for the SUBACK
    // mqtt.js cannot read while the replayed message is held.
    await l.subscribe('home/garden/#', 'other-plugin', () => undefined);
    await l.subscribe(TOPIC, 'sensors', (_t, p) => seen.push(p.toString()));
    expect(seen).toEqual(['while-away']);
    await waitFor(() => stores.length === 1, 'store of the claimed message awaited');
    expect(stores).toEqual(['while-away']);
    // Killed before the store finished: it comes again.
    const again = await dieAndRestart(port, l);
    expect(again).toEqual(['while-away']);
    releaseStore();
  });
});
