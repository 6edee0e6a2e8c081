/**
 * The hub as a systemd Type=notify service: READY=1 once it serves, then WATCHDOG=1 every third
 * of WatchdogSec, but only while Liveness says the event loop and every critical loop made
 * progress. When a loop hangs the pings stop, health says which loop, and systemd restarts the hub
 * after WatchdogSec (Restart=always).
 */
import { describeError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import type { HealthRegistry } from '../health/health.js';
import type { Liveness } from './liveness.js';
import { type Notifier, notifySocketFromEnv, openNotifier, watchdogMsFromEnv } from './sd-notify.js';

export class SystemdService {
  private timer: NodeJS.Timeout | null = null;
  private staleBefore: string[] = [];

  private constructor(
    private readonly notifier: Notifier,
    private readonly watchdogMs: number | null,
    private readonly liveness: Liveness,
    private readonly log: Logger,
    private readonly health: HealthRegistry,
  ) {}

  /** Null when the hub was not started by systemd (no NOTIFY_SOCKET). */
  static fromEnv(env: NodeJS.ProcessEnv, liveness: Liveness, log: Logger, health: HealthRegistry): SystemdService | null {
    const socket = notifySocketFromEnv(env);
    if (!socket) return null;
    return new SystemdService(openNotifier(socket), watchdogMsFromEnv(env), liveness, log, health);
  }

  /** The watchdog period systemd asked for, in ms (null: no watchdog). */
  get watchdogIntervalMs(): number | null {
    return this.watchdogMs;
  }

  async ready(status: string): Promise<void> {
    await this.send({ READY: '1', STATUS: status, MAINPID: String(process.pid) });
    if (this.watchdogMs === null) return;
    const every = Math.max(100, Math.floor(this.watchdogMs / 3));
    this.health.set(
      'watchdog',
      'ok',
      `systemd watchdog ${Math.round(this.watchdogMs / 1000)} s; pinged while ${this.liveness.names().join(', ')} make progress`,
    );
    this.timer = setInterval(() => this.tick(every), every);
    this.tick(every);
  }

  private tick(every: number): void {
    const verdict = this.liveness.tick(every);
    const key = verdict.stale.join(',');
    if (key !== this.staleBefore.join(',')) {
      this.staleBefore = verdict.stale;
      if (verdict.ok) {
        this.log.info('every critical loop makes progress again: watchdog pings resume');
        this.health.set('watchdog', 'ok', `systemd watchdog ${Math.round((this.watchdogMs ?? 0) / 1000)} s; pinging`);
      } else {
        this.log.error(
          { stale: verdict.stale },
          'a critical loop stopped making progress: watchdog pings withheld, systemd will restart the hub',
        );
        this.health.set('watchdog', 'failed', `no progress from ${verdict.stale.join(', ')}: systemd will restart the hub`);
      }
    }
    if (verdict.ok) void this.send({ WATCHDOG: '1' });
  }

  async stopping(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.send({ STOPPING: '1', STATUS: 'stopping' });
    this.notifier.close();
  }

  private async send(state: Record<string, string>): Promise<void> {
    try {
      await this.notifier.notify(state);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'could not notify systemd');
      this.health.set('watchdog', 'degraded', describeError(err));
    }
  }
}
