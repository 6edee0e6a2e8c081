/**
 * Fault injection with real processes: mosquitto (persistent, as a home broker runs), a real
 * RTSP camera, the test ARC, and the hub in its own process (fault-hub.ts) that is SIGKILLed at
 * seeded random moments while a scene runs (door over MQTT, a panic button, arming and
 * disarming). After each restart `checkRun` proves nothing was lost. Shared by the test (a
 * short seeded form) and the benchmark (the long form, and the restart-to-clips-done time).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { pidAlive } from '../../../hub/recorder/child-process.js';
import { SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { Database } from '../../../hub/storage/database.js';
import { ApiClient, OWNER, ownerClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { tempDir } from '../../helpers/hub.js';
import { startMosquitto, stopMosquitto } from '../../helpers/mosquitto.js';
import { freePort } from '../../helpers/ports.js';
import { DOORBELL_CLIP } from '../../hub/recorder/harness.js';

const run = promisify(execFile);
const PIN = '2468';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Small seeded PRNG (mulberry32): a failing seed replays the same scene and kill moment. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultEnv {
  dir: string;
  dataDir: string;
  mqttPort: number;
  broker: ChildProcess;
  rtsp: SimRtspServer;
  receiver: Dc09TestReceiver;
  gateway: mqtt.MqttClient;
  hub: RunningHub | null;
  ownerReady: boolean;
  doorOpen: boolean;
  published: { opened: number; closed: number; panics: number };
}

export interface RunningHub {
  proc: ChildProcess;
  url: string;
  spawnedAt: number;
  recordingAt: number;
}

export async function setUpFaultEnv(): Promise<FaultEnv> {
  const dir = await tempDir('sanctuary-fault-');
  const dataDir = join(dir, 'hub');
  const mqttPort = await freePort();
  const broker = await startMosquitto(mqttPort, dir, { persistence: true });
  const rtsp = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell' });
  await rtsp.start();
  const receiver = new Dc09TestReceiver();
  await receiver.start();
  // The Zigbee2MQTT side: QoS 1, so what it sends while the hub is dead waits in the hub's session.
  const gateway = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'fault-z2m', reconnectPeriod: 200 });
  return {
    dir,
    dataDir,
    mqttPort,
    broker,
    rtsp,
    receiver,
    gateway,
    hub: null,
    ownerReady: false,
    doorOpen: false,
    published: { opened: 0, closed: 0, panics: 0 },
  };
}

export async function tearDownFaultEnv(env: FaultEnv): Promise<void> {
  if (env.hub) await killHub(env);
  await env.gateway.endAsync(true);
  await env.receiver.stop();
  await env.rtsp.stop();
  await stopMosquitto(env.broker);
  await rm(env.dir, { recursive: true, force: true });
}

export async function startHub(env: FaultEnv): Promise<RunningHub> {
  const script = fileURLToPath(new URL('./fault-hub.ts', import.meta.url));
  const spawnedAt = Date.now();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', script, env.dataDir, String(env.mqttPort), String(env.receiver.port), env.rtsp.url],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const read = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the fault hub did not answer within 60 s')), 60_000);
      const onExit = (code: number | null) => reject(new Error(`the fault hub exited early (${code})`));
      proc.once('exit', onExit);
      lines.once('line', (l) => {
        clearTimeout(timer);
        proc.off('exit', onExit);
        resolve(JSON.parse(l) as Record<string, unknown>);
      });
    });
  const started = await read();
  await read(); // the camera's first segment
  const hub: RunningHub = { proc, url: String(started.url), spawnedAt, recordingAt: Date.now() };
  env.hub = hub;
  if (!env.ownerReady) {
    const owner = await ownerClient(hub.url, (started.setupCode as string | null) ?? null);
    await owner.put('/api/alarm/pins', { pin: PIN, duressPin: '1357' });
    await owner.put('/api/consent', { kinds: { panic: 'automatic', intrusion: 'automatic' } });
    env.ownerReady = true;
  }
  return hub;
}

/** SIGKILL the hub, and its ffmpeg once the orphan notices (by pid: only what this hub started). */
export async function killHub(env: FaultEnv): Promise<void> {
  const hub = env.hub;
  if (!hub) return;
  env.hub = null;
  if (hub.proc.exitCode === null && hub.proc.signalCode === null) {
    const exited = new Promise((r) => hub.proc.once('exit', r));
    hub.proc.kill('SIGKILL');
    await exited;
  }
  const { stdout } = await run('pgrep', ['-f', env.dataDir]).catch((err: { stdout?: string; code?: number }) => {
    if (err.code === 1) return { stdout: '' }; // none left
    throw err;
  });
  for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
    if (pid === process.pid || !pidAlive(pid)) continue;
    process.kill(pid, 'SIGKILL');
  }
}

/** Play a seeded scene and SIGKILL the hub at a seeded moment inside it; MQTT actions go on after the kill. */
export async function sceneAndKill(env: FaultEnv, rng: () => number): Promise<{ actions: string[]; killedAfterMs: number }> {
  const hub = env.hub;
  if (!hub) throw new Error('no hub running');
  const owner = new ApiClient(hub.url);
  await owner.login(OWNER.username, OWNER.password);
  const steps = 3 + Math.floor(rng() * 4);
  const gaps = Array.from({ length: steps }, () => 200 + Math.floor(rng() * 1200));
  const total = gaps.reduce((a, b) => a + b, 0);
  const killAt = Math.floor(rng() * (total + 1500));
  const killed = sleep(killAt).then(() => killHub(env));
  let alive = true;
  killed.then(() => {
    alive = false;
  });
  const actions: string[] = [];
  for (const gap of gaps) {
    await sleep(gap);
    const pick = rng();
    if (pick < 0.5) {
      env.doorOpen = !env.doorOpen;
      env.gateway.publish('zigbee2mqtt/front_door', JSON.stringify({ contact: !env.doorOpen }), { qos: 1 });
      if (env.doorOpen) env.published.opened++;
      else env.published.closed++;
      actions.push(env.doorOpen ? 'door open' : 'door closed');
    } else if (pick < 0.7) {
      env.gateway.publish('zigbee2mqtt/bedside_button', JSON.stringify({ action: 'hold' }), { qos: 1 });
      env.published.panics++;
      actions.push('panic');
    } else if (alive) {
      const arm = pick < 0.85;
      const r = await (arm
        ? owner.post('/api/alarm/arm', { mode: 'armed_away', force: true })
        : owner.post('/api/alarm/disarm', { pin: PIN })
      ).catch((err: unknown) => ({ status: `no answer (${(err as Error).message})` }));
      actions.push(`${arm ? 'arm' : 'disarm'} -> ${r.status}`);
    }
  }
  await killed;
  return { actions, killedAfterMs: killAt };
}

export interface RunCounts {
  triggers: number;
  clips: number;
  failedWithReason: number;
  alerts: number;
  arcFrames: number;
  sensorEvents: { opened: number; closed: number; panics: number };
  pendingAtRestart: number;
  restartToClipsDoneMs: number;
}

async function readDb<T>(env: FaultEnv, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.open(join(env.dataDir, 'sanctuary.db'), { readOnly: true });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function pendingIntents(env: FaultEnv): Promise<number> {
  return readDb(
    env,
    async (db) => (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM recorder_clip_intents WHERE status = 'pending'"))?.n ?? 0,
  );
}

/** Wait until every clip window is done (or failed with its reason) and every police delivery acknowledged. */
export async function settle(env: FaultEnv, timeoutMs = 60_000): Promise<number> {
  const hub = env.hub;
  if (!hub) throw new Error('no hub running');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await readDb(env, async (db) => {
      const intents = (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM recorder_clip_intents WHERE status = 'pending'"))?.n ?? 0;
      const deliveries =
        (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM alert_deliveries WHERE police = 1 AND status NOT IN ('acknowledged')"))
          ?.n ?? 0;
      return { intents, deliveries };
    });
    if (open.intents === 0 && open.deliveries === 0) return Date.now() - hub.spawnedAt;
    if (Date.now() > until) throw new Error(`not settled after ${timeoutMs} ms: ${JSON.stringify(open)}`);
    await sleep(250);
  }
}

/** Everything the issue asks of a restart after a kill; throws with the first broken promise. */
export async function checkRun(env: FaultEnv): Promise<Omit<RunCounts, 'pendingAtRestart' | 'restartToClipsDoneMs'>> {
  const facts = await readDb(env, async (db) => {
    const integrity = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
    const triggers = await db.all<{ name: string; correlation_id: string }>(
      "SELECT name, correlation_id FROM events WHERE name IN ('panic', 'alarm.triggered') ORDER BY seq",
    );
    const intents = await db.all<{ id: string; status: string; triggers: string; last_error: string | null }>(
      'SELECT id, status, triggers, last_error FROM recorder_clip_intents',
    );
    const clips = await db.all<{ id: string; path: string; sha256: string }>('SELECT id, path, sha256 FROM clips WHERE deleted_at IS NULL');
    const failedAudit = await db.all<{ subject: string }>("SELECT subject FROM audit_log WHERE action = 'clip.failed'");
    const policeAlerts = await db.all<{ alert_id: string; status: string }>(
      'SELECT alert_id, status FROM alert_deliveries WHERE police = 1',
    );
    const sensorEvents = await db.all<{ name: string; n: number }>(
      "SELECT name, COUNT(*) AS n FROM events WHERE name IN ('sensor.opened', 'sensor.closed', 'panic') GROUP BY name",
    );
    return { integrity, triggers, intents, clips, failedAudit, policeAlerts, sensorEvents };
  });
  if (facts.integrity?.integrity_check !== 'ok') throw new Error(`integrity_check: ${JSON.stringify(facts.integrity)}`);
  const verify = await run(process.execPath, ['--import', 'tsx', 'app/main.ts', 'verify', '--audit', '--data-dir', env.dataDir]).catch(
    (err: { stdout?: string; stderr?: string }) => {
      throw new Error(`sanctuary verify --audit failed: ${err.stdout ?? ''}${err.stderr ?? ''}`);
    },
  );
  if (!/ok\s+audit log/.test(verify.stdout)) throw new Error(`sanctuary verify --audit said: ${verify.stdout}`);
  const clipIds = new Set(facts.clips.map((c) => c.id));
  const failedCorrelations = new Set(
    facts.failedAudit.map((a) => String((JSON.parse(a.subject) as { correlationId?: string }).correlationId)),
  );
  let clips = 0;
  let failedWithReason = 0;
  for (const t of facts.triggers) {
    const intent = facts.intents.find((i) =>
      (JSON.parse(i.triggers) as Array<{ correlationId: string }>).some((x) => x.correlationId === t.correlation_id),
    );
    if (intent?.status === 'done' && clipIds.has(intent.id)) clips++;
    else if ((intent?.status === 'failed' && intent.last_error) || failedCorrelations.has(t.correlation_id)) failedWithReason++;
    else throw new Error(`${t.name} ${t.correlation_id} has neither a clip nor a recorded reason (intent: ${JSON.stringify(intent)})`);
  }
  const undelivered = facts.policeAlerts.filter((a) => a.status !== 'acknowledged');
  if (undelivered.length > 0) throw new Error(`alerts not delivered: ${JSON.stringify(undelivered)}`);
  const arcFrames = env.receiver.alarms().length;
  if (arcFrames !== facts.policeAlerts.length) {
    throw new Error(
      `the ARC acknowledged ${arcFrames} alarm frames for ${facts.policeAlerts.length} police deliveries (must be exactly once)`,
    );
  }
  const count = (name: string) => facts.sensorEvents.find((e) => e.name === name)?.n ?? 0;
  return {
    triggers: facts.triggers.length,
    clips,
    failedWithReason,
    alerts: facts.policeAlerts.length,
    arcFrames,
    sensorEvents: { opened: count('sensor.opened'), closed: count('sensor.closed'), panics: count('panic') },
  };
}

/** One seeded run: scene, kill, restart, settle, check. */
export async function faultRun(env: FaultEnv, seed: number): Promise<RunCounts & { actions: string[] }> {
  const rng = seeded(seed);
  if (!env.hub) await startHub(env);
  const { actions } = await sceneAndKill(env, rng);
  const pendingAtRestart = await pendingIntents(env);
  await startHub(env);
  const restartToClipsDoneMs = await settle(env);
  const counts = await checkRun(env);
  return { ...counts, pendingAtRestart, restartToClipsDoneMs, actions };
}
