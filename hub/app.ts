/**
 * The hub: opens storage, starts the broker link, the modules and the plugins, then serves HTTP.
 * `stop()` undoes it in reverse and always completes (each step's failure is logged, not thrown).
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AlertChannelRegistry } from './alerts/channels.js';
import { PowerRegistry } from './alerts/power-registry.js';
import { describeError } from './api/errors.js';
import type { Clock, HubPlugin, HubServices, Logger } from './api/plugin.js';
import { Liveness, monitorLoops } from './appliance/liveness.js';
import { watchdogMsFromEnv } from './appliance/sd-notify.js';
import { SystemdService } from './appliance/systemd-service.js';
import { AuditLog } from './audit/audit-log.js';
import { Accounts } from './auth/accounts.js';
import { HubEventBus } from './bus/event-bus.js';
import type { HubConfig } from './config/schema.js';
import type { HubCore, HubModule } from './core.js';
import { HubDeviceRegistry } from './devices/registry.js';
import { EventLog } from './events/event-log.js';
import { HealthRegistry } from './health/health.js';
import { addSystemProbes } from './health/probes.js';
import { registerCoreRoutes } from './http/core-routes.js';
import { registerPluginSettingsRoutes } from './http/plugin-settings-routes.js';
import { type RedirectServer, startRedirectServer } from './http/redirect-server.js';
import { createRegistrar } from './http/routes.js';
import { createHttpServer } from './http/server.js';
import { loadOrCreateTls, type TlsMaterial } from './http/tls.js';
import { createLogger } from './log/logger.js';
import { type FfmpegInfo, resolveFfmpeg } from './media/ffmpeg.js';
import { coreModules } from './modules.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './mqtt/broker.js';
import { mqttClientId } from './mqtt/client-id.js';
import { HubMqttLink } from './mqtt/link.js';
import { PluginHost } from './plugins-host/plugin-host.js';
import { VisibilityPolicy } from './policy/policy.js';
import { CameraAttachments, FrameHub } from './recorder/attachments.js';
import { Database } from './storage/database.js';
import { FootageStore } from './storage/footage.js';
import { migrate } from './storage/migrate.js';
import { bootKeyDir, Vault } from './vault/vault.js';
import { HUB_VERSION } from './version.js';
import { registerVisitRoutes } from './visits/routes.js';

export { HUB_VERSION };

export interface HubOptions {
  config: Readonly<HubConfig>;
  plugins?: HubPlugin<unknown>[];
  /** Replace the built-in module list (tests start only what they need). */
  modules?: HubModule[];
  log?: Logger;
  dataDir?: string;
  uiDir?: string | null;
  clock?: Clock;
  /** Called with the one-time setup code when the hub makes one. */
  onSetupCode?: (code: string, url: string) => void;
  /** How long a plugin may take to start (default 15 s). */
  pluginStartTimeoutMs?: number;
  /**
   * The environment systemd gave the process (NOTIFY_SOCKET, WATCHDOG_USEC): `sanctuary start`
   * passes process.env; without it the hub never notifies systemd.
   */
  systemdEnv?: NodeJS.ProcessEnv;
  /** Without a systemd watchdog: how long a critical loop may be silent before health says failed (default 20 s). */
  loopSilenceMs?: number;
}

export function resolveDataDir(config: Readonly<HubConfig>, explicit?: string): string {
  return resolve(explicit ?? config.dataDir ?? process.env.SANCTUARY_DATA_DIR ?? './data');
}

export class Hub {
  core!: HubCore;
  url = '';
  /** The plain-HTTP listener's URL (redirects, CA certificate); '' when there is none. */
  httpUrl = '';
  /** The certificate the hub serves (null when plain HTTP is configured on loopback). */
  tls: TlsMaterial | null = null;
  private redirect: RedirectServer | null = null;
  private db: Database | null = null;
  private broker: EmbeddedBroker | null = null;
  private mqtt: HubMqttLink | null = null;
  private http: FastifyInstance | null = null;
  private eventLog: EventLog | null = null;
  private policy: VisibilityPolicy | null = null;
  private pluginHost: PluginHost | null = null;
  private readonly startedModules: HubModule[] = [];
  private stopping: Promise<void> | null = null;
  private systemd: SystemdService | null = null;
  private stopLoopMonitor: (() => void) | null = null;
  private vault: Vault | null = null;
  private vaultSweep: NodeJS.Timeout | null = null;
  readonly log: Logger;
  readonly bus: HubEventBus;
  readonly health: HealthRegistry;

  constructor(private readonly opts: HubOptions) {
    this.log = opts.log ?? createLogger({ level: opts.config.log.level });
    const clock = opts.clock ?? { now: () => Date.now() };
    this.bus = new HubEventBus(this.log.child({ module: 'bus' }), clock);
    this.health = new HealthRegistry(this.bus, () => clock.now());
    // Without these the hub cannot keep evidence or raise an alarm: their failure is the hub's.
    this.health.markCritical('database', 'ffmpeg', 'loops', 'watchdog');
  }

  async start(): Promise<{ url: string; setupCode: string | null }> {
    const { config } = this.opts;
    const clock = this.opts.clock ?? { now: () => Date.now() };
    const dataDir = resolveDataDir(config, this.opts.dataDir);
    await mkdir(dataDir, { recursive: true });
    const log = this.log;

    const cameraAttachments = new CameraAttachments(log.child({ module: 'cameras' }));
    const frameHub = new FrameHub(log.child({ module: 'frames' }));
    const alertChannels = new AlertChannelRegistry();
    // Plugin configs are validated before anything is opened: a bad config never half-starts.
    const pluginHost = new PluginHost(this.opts.plugins ?? [], {
      bus: this.bus,
      log,
      health: this.health,
      dataDir,
      pluginConfig: config.plugins,
      ...(this.opts.pluginStartTimeoutMs ? { startTimeoutMs: this.opts.pluginStartTimeoutMs } : {}),
    });
    this.pluginHost = pluginHost;
    pluginHost.validate();

    this.db = await Database.open(join(dataDir, 'sanctuary.db'));
    await migrate(this.db);
    this.health.set('database', 'ok', `sqlite3 WAL at ${join(dataDir, 'sanctuary.db')}`);
    const audit = new AuditLog(this.db, () => clock.now());
    const vault = new Vault(this.db, audit, log.child({ module: 'vault' }), () => clock.now(), join(dataDir, 'tmp', 'work'));
    this.vault = vault;
    this.health.set('vault', 'ok', await vault.useBootKey(bootKeyDir(dataDir, config.recorder.ramBuffer.dir ?? undefined)));
    const accounts = new Accounts(
      this.db,
      audit,
      {
        sessionTtlMs: config.http.sessionTtlMinutes * 60_000,
        loginAttempts: config.http.loginAttempts,
        loginWindowMs: config.http.loginWindowMinutes * 60_000,
        installerAccountDays: config.http.installerAccountDays,
        policeAccountDays: config.http.policeAccountDays,
        now: () => clock.now(),
      },
      vault,
    );
    // A key stays in memory only while its account has a live session: expiry is checked often.
    this.vaultSweep = setInterval(() => {
      vault
        .sweep((id) => accounts.hasLiveSession(id))
        .catch((err: unknown) => {
          log.error({ err: describeError(err) }, 'could not check which footage keys to forget');
        });
    }, 15_000);
    this.vaultSweep.unref();
    // Footage kept before the first account existed (sealed to the boot key alone) goes to that
    // account's key as soon as it is made.
    vault.onChange((c) => {
      if (!c.created) return;
      vault.adoptBootOnly(dataDir).then(
        (n) => {
          if (n) log.info({ files: n }, 'footage kept before the first account was sealed to its key');
        },
        (err: unknown) => log.error({ err: describeError(err) }, 'could not seal earlier footage to the new account'),
      );
    });
    const devices = new HubDeviceRegistry(this.db, log.child({ module: 'devices' }));
    await devices.load();
    for (const s of config.sensors) await devices.upsertSensor(s);
    for (const c of config.cameras) await devices.upsertCamera(c);
    // The policy hears of silent facts before any module that shows things subscribes.
    const policy = new VisibilityPolicy(this.db, log.child({ module: 'policy' }));
    await policy.load();
    policy.attach(this.bus);
    this.policy = policy;
    this.eventLog = new EventLog(this.db, log.child({ module: 'event-log' }));
    this.eventLog.attach(this.bus);

    let ffmpeg: FfmpegInfo | null = null;
    try {
      ffmpeg = await resolveFfmpeg(config.ffmpeg.path);
      this.health.set('ffmpeg', 'ok', `ffmpeg ${ffmpeg.version} (${ffmpeg.origin})`, {
        path: ffmpeg.path,
        version: ffmpeg.version,
        origin: ffmpeg.origin,
      });
    } catch (err) {
      // Critical: without ffmpeg nothing is recorded, so the hub reports itself failed (not up).
      log.error({ err: describeError(err) }, 'ffmpeg is not usable: no footage can be recorded');
      this.health.set('ffmpeg', 'failed', describeError(err));
    }

    let mqttUrl = config.mqtt.url;
    if (!mqttUrl) {
      this.broker = await startEmbeddedBroker({
        ...config.mqtt.embedded,
        username: config.mqtt.username,
        password: config.mqtt.password,
        log: log.child({ module: 'broker' }),
      });
      mqttUrl = this.broker.url;
    }
    this.mqtt = new HubMqttLink(
      mqttUrl,
      { username: config.mqtt.username, password: config.mqtt.password },
      log.child({ module: 'mqtt' }),
      this.health.reporter('broker'),
      {
        clientId: await mqttClientId(this.db, clock.now()),
        // A sensor message is acknowledged once its events are in the event log and the
        // listeners (alarm, alerts) are done with it, or after 2 s of a listener on the network.
        settle: async () => {
          await this.bus.settled(2000);
          await this.eventLog?.flush();
        },
      },
    );
    await this.mqtt.connect();

    this.tls = config.http.tls.enabled ? await loadOrCreateTls(dataDir, config.http.tls, clock.now()) : null;
    this.http = await createHttpServer({
      accounts,
      log: log.child({ module: 'http' }),
      uiDir: this.opts.uiDir ?? null,
      tls: this.tls,
      requestsPerMinute: config.http.requestsPerMinute,
    });
    const http = createRegistrar(this.http);
    const services: HubServices = {
      mqtt: this.mqtt,
      devices,
      cameras: cameraAttachments,
      frames: frameHub,
      alerts: alertChannels,
      clock,
      power: new PowerRegistry(log.child({ module: 'power' })),
      footage: vault.sealer(),
    };
    const modulesByName = new Map<string, HubModule>();
    // A loop silent for two thirds of the watchdog period stops the pings (systemd restarts the hub at the full period).
    const watchdogMs = this.opts.systemdEnv ? watchdogMsFromEnv(this.opts.systemdEnv) : null;
    const liveness = new Liveness(
      () => Date.now(),
      log.child({ module: 'liveness' }),
      watchdogMs ? Math.floor((watchdogMs * 2) / 3) : (this.opts.loopSilenceMs ?? 20_000),
    );
    this.core = {
      config,
      dataDir,
      db: this.db,
      bus: this.bus,
      log,
      clock,
      health: this.health,
      audit,
      accounts,
      vault,
      devices,
      eventLog: this.eventLog,
      policy,
      http,
      mqtt: this.mqtt,
      mqttUrl,
      cameraAttachments,
      frameHub,
      alertChannels,
      footage: new FootageStore(this.db, () => clock.now()),
      services,
      plugins: pluginHost,
      ffmpeg,
      liveness,
      module: <T extends HubModule>(name: string) => modulesByName.get(name) as T | undefined,
    };
    addSystemProbes(this.health, dataDir, clock);
    registerCoreRoutes(this.core, HUB_VERSION);
    registerPluginSettingsRoutes(this.core);
    registerVisitRoutes(this.core);

    for (const m of this.opts.modules ?? coreModules()) {
      await m.start(this.core);
      this.startedModules.push(m);
      modulesByName.set(m.name, m);
    }

    await pluginHost.startAll({ db: this.db, services });
    // Every plugin has subscribed: a replayed MQTT message none of them claimed is nobody's.
    this.mqtt.ready();

    await this.http.listen({ host: config.http.host, port: config.http.port });
    const addr = this.http.server.address() as AddressInfo;
    const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    this.url = `${this.tls ? 'https' : 'http'}://${urlHost}:${addr.port}`;
    if (this.tls && config.http.redirectPort !== null) {
      this.redirect = await startRedirectServer({
        host: config.http.host,
        port: config.http.redirectPort,
        httpsPort: addr.port,
        tls: this.tls,
        log: log.child({ module: 'http-redirect' }),
      });
      this.httpUrl = `http://${urlHost}:${this.redirect.port}`;
    }
    this.health.set(
      'http',
      'ok',
      this.tls
        ? `HTTPS on ${config.http.host}:${addr.port}, certificate until ${new Date(this.tls.notAfter).toISOString().slice(0, 10)}`
        : `plain HTTP on loopback ${config.http.host}:${addr.port} (TLS off by config)`,
    );

    const setupCode = await accounts.ensureSetupCode();
    if (setupCode) this.opts.onSetupCode?.(setupCode, this.url);
    this.bus.emit('hub.started', { source: 'hub', version: HUB_VERSION });
    if (this.opts.systemdEnv) {
      this.systemd = SystemdService.fromEnv(this.opts.systemdEnv, liveness, log.child({ module: 'systemd' }), this.health);
      await this.systemd?.ready(`serving ${this.url}`);
    }
    // The systemd watchdog, when there is one, already watches the loops and reports `watchdog`.
    if (!this.systemd?.watchdogIntervalMs)
      this.stopLoopMonitor = monitorLoops(liveness, this.health, Math.max(250, Math.floor(liveness.maxSilenceMs / 4)));
    log.info(
      {
        url: this.url,
        dataDir,
        mqtt: this.broker ? 'embedded' : 'external',
        ...(this.tls ? { caFingerprint: this.tls.fingerprint, caUrl: this.httpUrl ? `${this.httpUrl}/hub-ca.crt` : null } : {}),
      },
      'hub started',
    );
    return { url: this.url, setupCode };
  }

  stop(reason = 'stop requested'): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.bus.emit('hub.stopping', { source: 'hub', reason });
    if (this.systemd) await this.systemd.stopping();
    this.stopLoopMonitor?.();
    const step = async (name: string, fn: () => Promise<void> | undefined) => {
      try {
        await fn();
      } catch (err) {
        this.log.error({ step: name, err: describeError(err) }, 'error while stopping');
      }
    };
    await step('http-redirect', () => this.redirect?.close());
    await step('http', () => (this.http ? closeHttp(this.http) : undefined));
    await step('plugins', () => this.pluginHost?.stopAll());
    while (this.startedModules.length > 0) {
      const m = this.startedModules.pop();
      if (m) await step(`module ${m.name}`, () => m.stop());
    }
    if (this.vaultSweep) clearInterval(this.vaultSweep);
    await step('vault', async () => {
      await this.vault?.forgetAll('hub stopped');
      await this.vault?.dropBootKey();
    });
    await step('mqtt', () => this.mqtt?.close());
    await step('broker', () => this.broker?.close());
    await step('event-log', () => this.eventLog?.close());
    this.policy?.detach();
    await step('database', () => this.db?.close());
    this.log.info({ reason }, 'hub stopped');
  }
}

/**
 * Closes the HTTP server. Fastify closes idle keep-alive connections at once, but a connection
 * whose request was still running becomes idle afterwards and would hold the close for the whole
 * keep-alive timeout (72 s); after a short grace every connection left is closed.
 */
async function closeHttp(app: FastifyInstance, graceMs = 2000): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
