/**
 * The long form of the fault-injection test (test/e2e/fault-injection.test.ts): the hub in its
 * own process SIGKILLed during an alarm scene, SANCTUARY_FAULT_RUNS times (default 20), each run
 * checked as in the test. Prints per run the counts and the time from the restart (process
 * spawned) to every pending clip written and every alert acknowledged, then the spread.
 * SANCTUARY_FAULT_SEED replays a run sequence.
 */
import { type FaultEnv, faultRun, setUpFaultEnv, tearDownFaultEnv } from '../test/e2e/fault/fault-harness.js';

export async function run(): Promise<void> {
  const runs = Number(process.env.SANCTUARY_FAULT_RUNS ?? 20);
  const seed = Number(process.env.SANCTUARY_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  process.stdout.write(`SANCTUARY_FAULT_SEED=${seed} SANCTUARY_FAULT_RUNS=${runs}\n`);
  const env: FaultEnv = await setUpFaultEnv();
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const r = await faultRun(env, seed + i);
      times.push(r.restartToClipsDoneMs);
      process.stdout.write(
        `run ${i + 1}/${runs} seed ${seed + i}: pending clips at restart ${r.pendingAtRestart}, ` +
          `restart -> all clips done ${r.restartToClipsDoneMs} ms | totals: triggers ${r.triggers}, clips ${r.clips}, ` +
          `reasons ${r.failedWithReason}, alerts ${r.alerts}, ARC frames ${r.arcFrames}\n`,
      );
    }
  } finally {
    await tearDownFaultEnv(env);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  process.stdout.write(
    `restart to all pending clips finished: median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${sorted[sorted.length - 1] ?? 0} ms (${runs} kills)\n`,
  );
}
