/**
 * Latency from a hub event to the Web Push request arriving at the push service, on loopback: a
 * real hub (policy and consent check, SQLite push queue, `web-push` aes128gcm encryption and VAPID
 * signature over HTTPS) and the test suite's RFC 8030 push service, which verifies the JWT and
 * decrypts every payload before it counts it. Measured for a doorbell press with one and with
 * three subscribed devices, and for an "ask me first" alert (alert written, then the question
 * pushed). Prints p50 / p95 / max; the target is p95 under 1 s.
 */

import { ownerClient } from '../test/helpers/api-client.js';
import { Dc09TestReceiver } from '../test/helpers/dc09-receiver.js';
import { PushServiceTestPeer } from '../test/helpers/push-service.js';
import { notificationsOn, startPushHub, subscribeDevice } from '../test/hub/push/push-hub.js';

const RUNS = 150;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function print(label: string, xs: number[]): void {
  const s = [...xs].sort((a, b) => a - b);
  process.stdout.write(
    `${label.padEnd(52)} p50 ${pct(s, 50).toFixed(1)} ms  p95 ${pct(s, 95).toFixed(1)} ms  max ${s.at(-1)?.toFixed(1)} ms  (n=${s.length})\n`,
  );
}

export async function run(): Promise<void> {
  const peer = new PushServiceTestPeer();
  await peer.start();
  const receiver = new Dc09TestReceiver();
  await receiver.start();
  const t = await startPushHub({ peer, receiver, alerts: { askTimeoutSeconds: 600 } });
  try {
    const owner = await ownerClient(t.url, t.setupCode);
    await notificationsOn(owner, peer, { kinds: { tamper: 'ask' }, channels: { arc: { on: true } } });
    const first = peer.subscribe();
    await subscribeDevice(owner, first, false);

    const measure = async (label: string, devices: number, emit: (i: number) => void) => {
      const xs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const before = peer.received.length;
        const start = Date.now();
        emit(i);
        await peer.waitFor((p) => p.received.length >= before + devices, 10_000);
        // The last device's request is when "every phone was told".
        xs.push((peer.received.at(-1)?.at ?? Date.now()) - start);
      }
      if (peer.rejected.length > 0) throw new Error(`push service refused requests: ${JSON.stringify(peer.rejected.slice(0, 3))}`);
      print(label, xs);
    };

    await measure('doorbell -> push request (1 device)', 1, () =>
      t.hub.bus.emit('camera.doorbell', { source: 'bench', cameraId: 'doorbell' }),
    );
    for (let i = 0; i < 2; i++) await subscribeDevice(owner, peer.subscribe(), i === 0, `Device ${i + 2}`);
    await measure('doorbell -> push request (3 devices)', 3, () =>
      t.hub.bus.emit('camera.doorbell', { source: 'bench', cameraId: 'doorbell' }),
    );
    await measure('tamper "ask me first" -> question pushed (3 dev.)', 6, (i) =>
      t.hub.bus.emit('sensor.tamper', {
        source: 'bench',
        sensorId: `bench-${i}`,
        name: 'Front door',
        location: 'Hallway',
        kind: 'door',
        entryRoute: false,
        perimeter: true,
        smartwaterKitCode: null,
        active: true,
      }),
    );
  } finally {
    await t.close();
    await peer.stop();
    await receiver.stop();
  }
}
