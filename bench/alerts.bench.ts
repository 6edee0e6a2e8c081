/**
 * Latency from a panic to the ARC's acknowledgement on loopback: a real hub (SQLite outbox,
 * consent gate, sia-dc09 plugin over TCP) and the test suite's DC-09 receiver. Measures
 * `POST /api/panic` sent -> receiver got PA (frame) and -> outbox shows `acknowledged`, in the clear
 * and with AES-256, and prints p50 / p99.
 */
import { randomBytes } from 'node:crypto';
import { SiaDc09Plugin } from '../plugins/sia-dc09/plugin.js';
import { type ApiClient, ownerClient } from '../test/helpers/api-client.js';
import { Dc09TestReceiver } from '../test/helpers/dc09-receiver.js';
import { startTestHub } from '../test/helpers/hub.js';

const RUNS = 200;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(label: string, key: Buffer | null): Promise<void> {
  const receiver = new Dc09TestReceiver({ key });
  await receiver.start();
  const t = await startTestHub({
    config: {
      log: { level: 'warn' },
      plugins: {
        'sia-dc09': {
          enabled: true,
          port: receiver.port,
          account: '1234',
          linkTestSeconds: 0,
          ...(key ? { key: key.toString('hex') } : {}),
        },
      },
    },
    plugins: [new SiaDc09Plugin()],
  });
  try {
    const owner: ApiClient = await ownerClient(t.url, t.setupCode);
    await owner.put('/api/consent', { kinds: { panic: 'automatic' } });
    const toFrame: number[] = [];
    const toAck: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const acked = t.hub.bus.next('alert.status_changed', (e) => e.status === 'acknowledged', 5000);
      const before = receiver.alarms().length;
      const start = performance.now();
      await owner.post('/api/panic');
      await receiver.waitFor((r) => r.alarms().length > before, 5000);
      toFrame.push(performance.now() - start);
      await acked;
      toAck.push(performance.now() - start);
    }
    for (const [name, xs] of [
      ['panic -> PA at ARC', toFrame],
      ['panic -> acknowledged in outbox', toAck],
    ] as const) {
      const s = [...xs].sort((a, b) => a - b);
      process.stdout.write(
        `${label.padEnd(14)} ${name.padEnd(34)} p50 ${pct(s, 50).toFixed(1)} ms  p99 ${pct(s, 99).toFixed(1)} ms  max ${s.at(-1)?.toFixed(1)} ms  (n=${s.length})\n`,
      );
    }
  } finally {
    await t.close();
    await receiver.stop();
  }
}

export async function run(): Promise<void> {
  await measure('TCP clear', null);
  await measure('TCP AES-256', randomBytes(32));
}
