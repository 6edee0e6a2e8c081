/**
 * Pull the plug, again and again: the hub (its own process) records a real RTSP camera while a
 * scene runs (door over MQTT, panic button, arming), and is SIGKILLed at seeded random moments.
 * After every restart: each panic and triggered alarm has its clip or a recorded reason, the
 * database passes integrity_check, `sanctuary verify --audit` passes, and every alert reached
 * the ARC exactly once. The CI form is short (SANCTUARY_FAULT_RUNS, default 3); the seed is
 * printed and SANCTUARY_FAULT_SEED replays a failure. `npm run bench -- fault` runs 20+.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultEnv, faultRun, setUpFaultEnv, tearDownFaultEnv } from './fault/fault-harness.js';

const RUNS = Number(process.env.SANCTUARY_FAULT_RUNS ?? 3);
const SEED = Number(process.env.SANCTUARY_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('fault injection: SIGKILL during an alarm scene', () => {
  let env: FaultEnv | null = null;
  beforeAll(async () => {
    env = await setUpFaultEnv();
  }, 90_000);
  afterAll(async () => {
    if (env) await tearDownFaultEnv(env);
    env = null;
  }, 60_000);

  it(`survives ${RUNS} kills (seed ${SEED})`, { timeout: RUNS * 120_000 }, async () => {
    if (!env) throw new Error('no environment');
    process.stdout.write(`fault injection: SANCTUARY_FAULT_SEED=${SEED} SANCTUARY_FAULT_RUNS=${RUNS}\n`);
    for (let i = 0; i < RUNS; i++) {
      const seed = SEED + i;
      const r = await faultRun(env, seed).catch((err: unknown) => {
        throw new Error(`run ${i + 1} (SANCTUARY_FAULT_SEED=${SEED}, run seed ${seed}): ${(err as Error).message}`);
      });
      process.stdout.write(
        `run ${i + 1}/${RUNS} seed ${seed}: ${r.actions.join(', ')} | totals so far: triggers ${r.triggers}, clips ${r.clips}, ` +
          `recorded reasons ${r.failedWithReason}, alerts ${r.alerts}, ARC frames ${r.arcFrames}, ` +
          `door opened ${r.sensorEvents.opened}/${env.published.opened} closed ${r.sensorEvents.closed}/${env.published.closed} ` +
          `panics ${r.sensorEvents.panics}/${env.published.panics}, pending at restart ${r.pendingAtRestart}\n`,
      );
      expect(r.clips + r.failedWithReason).toBe(r.triggers);
      expect(r.arcFrames).toBe(r.alerts);
      // Every change the gateway sent reached the hub (its persistent session held those sent while it was dead).
      expect(r.sensorEvents.opened).toBe(env.published.opened);
      expect(r.sensorEvents.closed).toBe(env.published.closed);
      expect(r.sensorEvents.panics).toBe(env.published.panics);
    }
  });
});
