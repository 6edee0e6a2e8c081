/**
 * How soon alerts queued during an ARC outage reach it once it is back: a real hub (SQLite outbox,
 * sia-dc09 over TCP) and the suite's DC-09 receiver. The receiver goes down, QUEUED panics are
 * raised and fail, the receiver comes back; measured from its return to the receiver's first
 * ACKed link test (the probe) and to the hub seeing the last queued alert acknowledged. The first
 * retry waits a minute, so every figure is the release by the link, not a retry. The receiver
 * returns just after a failed probe, so the wait for the next probe is the worst case.
 */
import { SiaDc09Plugin } from '../plugins/sia-dc09/plugin.js';
import { type ApiClient, ownerClient } from '../test/helpers/api-client.js';
import { Dc09TestReceiver } from '../test/helpers/dc09-receiver.js';
import { startTestHub } from '../test/helpers/hub.js';

const QUEUED = 10;
const ROUNDS = 5;

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s[Math.floor(s.length / 2)] ?? Number.NaN;
  return `median ${mid.toFixed(0)} ms  min ${s[0]?.toFixed(0)} ms  max ${s.at(-1)?.toFixed(0)} ms  (n=${s.length})`;
}

async function measure(probeSeconds: number): Promise<void> {
  const receiver = new Dc09TestReceiver();
  await receiver.start();
  const t = await startTestHub({
    config: {
      log: { level: 'warn' },
      alerts: { retryInitialMs: 60_000, retryMaxSeconds: 600 },
      plugins: {
        'sia-dc09': { enabled: true, port: receiver.port, account: '1234', ackTimeoutMs: 400, outageProbeSeconds: probeSeconds },
      },
    },
    plugins: [new SiaDc09Plugin()],
  });
  try {
    const owner: ApiClient = await ownerClient(t.url, t.setupCode);
    // Police consent applies only to a police channel the owner switched on.
    const c = await owner.put('/api/consent', { kinds: { panic: 'automatic' }, channels: { arc: { on: true } } });
    if (c.status !== 200) throw new Error(`consent refused: ${c.status}`);
    const toProbe: number[] = [];
    const toLast: number[] = [];
    const drain: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await receiver.stop();
      const firstFailed = t.hub.bus.next('alert.status_changed', (e) => e.status === 'failed', 10_000);
      for (let i = 0; i < QUEUED; i++) {
        const r = await owner.post('/api/panic');
        if (r.status >= 300) throw new Error(`panic refused: ${r.status}`);
      }
      await firstFailed; // the oldest waits out a one-minute backoff; the rest queue behind it
      const acked = new Set<string>();
      let lastWall = 0;
      const lastAck = new Promise<number>((resolve) => {
        const off = t.hub.bus.on('alert.status_changed', 'bench', (e) => {
          if (e.status !== 'acknowledged') return;
          acked.add(e.alertId);
          if (acked.size === QUEUED) {
            off();
            lastWall = Date.now();
            resolve(performance.now());
          }
        });
      });
      const framesBefore = receiver.frames.length;
      const back = performance.now();
      const backWall = Date.now();
      await receiver.start();
      const done = await lastAck;
      const probe = receiver.frames.slice(framesBefore).find((f) => f.id === 'NULL' && f.response === 'ACK');
      toProbe.push((probe?.receivedAt ?? Number.NaN) - backWall);
      toLast.push(done - back);
      drain.push(lastWall - (probe?.receivedAt ?? Number.NaN));
    }
    process.stdout.write(`probe every ${probeSeconds} s, ${QUEUED} queued panics\n`);
    process.stdout.write(`  receiver back -> first ACKed link test      ${stats(toProbe)}\n`);
    process.stdout.write(`  receiver back -> last queued alert ACKed    ${stats(toLast)}\n`);
    process.stdout.write(`  first ACKed link test -> last alert ACKed   ${stats(drain)}\n`);
  } finally {
    await t.close();
    await receiver.stop();
  }
}

export async function run(): Promise<void> {
  await measure(1);
  await measure(5);
}
