/**
 * Alarm benchmark on a real hub (embedded broker, SQLite, the mqtt-sensors plugin, the alarm):
 *  - latency from a Zigbee2MQTT contact message published on the broker to the siren command
 *    arriving at a subscriber (armed_away, a perimeter window, no entry delay): p50, p99, max;
 *  - sustained sensor messages handled per second: check-in reports (no state change), and
 *    open/close changes (events, SQLite writes, retained MQTT state).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { AlarmModule } from '../hub/alarm/module.js';
import { Hub } from '../hub/app.js';
import { validateConfig } from '../hub/config/load.js';
import { CONFIG_VERSION } from '../hub/config/schema.js';
import { createLogger } from '../hub/log/logger.js';
import { MqttSensorsPlugin } from '../plugins/mqtt-sensors/index.js';

const ROUNDS = 300;
const CHECKINS = 50_000;
const CHANGES = 10_000;
const SENSORS = 20;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export async function run(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sanctuary-bench-alarm-'));
  const plugin = new MqttSensorsPlugin();
  const alarm = new AlarmModule();
  const sensors = Array.from({ length: SENSORS }, (_, i) => ({
    id: `window-${i}`,
    name: `Window ${i}`,
    kind: 'window' as const,
    source: { type: 'zigbee2mqtt' as const, friendlyName: `window_${i}` },
  }));
  const hub = new Hub({
    config: validateConfig({
      version: CONFIG_VERSION,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      sensors,
      alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0, sirenMaxSeconds: 600, siren: { zigbee2mqttDevice: 'bench_siren' } },
    }),
    plugins: [plugin],
    modules: [alarm],
    log: createLogger({ level: 'error' }),
    dataDir,
    uiDir: null,
  });
  await hub.start();
  const pub = await mqtt.connectAsync(hub.core.mqttUrl, { clientId: 'bench-z2m' });
  const siren = await mqtt.connectAsync(hub.core.mqttUrl, { clientId: 'bench-siren' });
  try {
    let sirenAt = 0;
    siren.on('message', (_t, payload) => {
      if (payload.toString().includes('"burglar"')) sirenAt = performance.now();
    });
    await siren.subscribeAsync('zigbee2mqtt/bench_siren/set', { qos: 0 });
    const report = (i: number, open: boolean, battery = 90) =>
      pub.publishAsync(`zigbee2mqtt/window_${i}`, JSON.stringify({ contact: !open, battery, battery_low: false, linkquality: 100 }));
    for (let i = 0; i < SENSORS; i++) await report(i, false);
    await until(() => plugin.handled >= SENSORS, 10_000, 'first reports');

    // 1. contact message -> siren command
    const lat: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await alarm.arm({ mode: 'armed_away', userId: 'bench', force: true, viaToken: true });
      sirenAt = 0;
      const t0 = performance.now();
      await report(0, true);
      await until(() => sirenAt !== 0, 5_000, 'siren command');
      lat.push(sirenAt - t0);
      await alarm.disarm({ userId: 'bench', viaToken: true });
      const closed = hub.bus.next('sensor.closed', (e) => e.sensorId === 'window-0');
      await report(0, false);
      await closed;
    }
    lat.sort((a, b) => a - b);
    process.stdout.write(
      `contact message -> siren command (${ROUNDS} rounds): p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${(lat.at(-1) ?? 0).toFixed(2)} ms\n`,
    );

    // 2. sustained check-ins (no state change: the common case)
    let start = plugin.handled;
    let t0 = performance.now();
    for (let n = 0; n < CHECKINS; n++)
      pub.publish(`zigbee2mqtt/window_${n % SENSORS}`, JSON.stringify({ contact: true, battery: 90, linkquality: 80 + (n % 50) }));
    await until(() => plugin.handled - start >= CHECKINS, 120_000, 'check-ins handled');
    let secs = (performance.now() - t0) / 1000;
    process.stdout.write(`sensor check-ins: ${CHECKINS} in ${secs.toFixed(2)} s = ${Math.round(CHECKINS / secs)} messages/s handled\n`);

    // 3. sustained open/close changes (disarmed): every message is an event, a stored state and a retained topic
    start = plugin.handled;
    t0 = performance.now();
    for (let n = 0; n < CHANGES; n++) {
      const i = n % SENSORS;
      pub.publish(`zigbee2mqtt/window_${i}`, JSON.stringify({ contact: Math.floor(n / SENSORS) % 2 === 1, battery: 90 }));
    }
    await until(() => plugin.handled - start >= CHANGES, 120_000, 'changes handled');
    secs = (performance.now() - t0) / 1000;
    await hub.core.eventLog.flush();
    const stored = (performance.now() - t0) / 1000;
    process.stdout.write(
      `open/close changes: ${CHANGES} in ${secs.toFixed(2)} s = ${Math.round(CHANGES / secs)} messages/s handled; all events stored after ${stored.toFixed(2)} s\n`,
    );
  } finally {
    await pub.endAsync(true);
    await siren.endAsync(true);
    await hub.stop('bench finished');
    await rm(dataDir, { recursive: true, force: true });
  }
}
