/**
 * Runs plugins: validates each one's config before any starts, starts them in order and stops
 * them in reverse, each with a timeout. A plugin that fails to start is named in the log and in
 * health and the hub carries on without it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, describeError, HubError } from '../api/errors.js';
import type { EventBus } from '../api/events.js';
import type { HubPlugin, HubServices, KeyValueStore, Logger } from '../api/plugin.js';
import { formatZodIssues } from '../config/load.js';
import type { HealthRegistry } from '../health/health.js';
import type { Database } from '../storage/database.js';

const HOST_STARTING = 'starting';

export interface PluginHostOptions {
  bus: EventBus;
  log: Logger;
  health: HealthRegistry;
  dataDir: string;
  pluginConfig: Readonly<Record<string, unknown>>;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

interface Running {
  plugin: HubPlugin<unknown>;
  abort: AbortController;
  started: boolean;
}

export class PluginHost {
  private readonly running: Running[] = [];
  private readonly configs = new Map<string, unknown>();

  constructor(
    private readonly plugins: HubPlugin<unknown>[],
    private readonly opts: PluginHostOptions,
  ) {}

  /** Validate every plugin's config section; throws ConfigError naming `plugins.<id>.<field>`. */
  validate(): void {
    const ids = new Set(this.plugins.map((p) => p.id));
    for (const key of Object.keys(this.opts.pluginConfig)) {
      if (!ids.has(key)) throw new ConfigError(`plugins.${key}`, `no such plugin (known: ${[...ids].join(', ')})`);
    }
    for (const p of this.plugins) {
      const parsed = p.configSchema.safeParse(this.opts.pluginConfig[p.id] ?? {});
      if (!parsed.success) {
        const { field, problem } = formatZodIssues(parsed.error, `plugins.${p.id}`);
        throw new ConfigError(field, problem);
      }
      this.configs.set(p.id, Object.freeze(parsed.data));
    }
  }

  async startAll(runtime: { db: Database; services: HubServices }): Promise<void> {
    if (this.configs.size !== this.plugins.length) this.validate();
    for (const plugin of this.plugins) {
      const health = this.opts.health.reporter(`plugin:${plugin.id}`);
      const log = this.opts.log.child({ plugin: plugin.id });
      const abort = new AbortController();
      const entry: Running = { plugin, abort, started: false };
      this.running.push(entry);
      health.report('starting', HOST_STARTING);
      try {
        const dataDir = join(this.opts.dataDir, 'plugins', plugin.id);
        await mkdir(dataDir, { recursive: true });
        await withTimeout(
          plugin.start({
            bus: this.opts.bus,
            log,
            config: this.configs.get(plugin.id) as Readonly<unknown>,
            store: pluginStore(runtime.db, plugin.id),
            signal: abort.signal,
            health,
            services: runtime.services,
            dataDir,
          }),
          this.opts.startTimeoutMs ?? 15_000,
          () => new HubError('HUB_ERR_PLUGIN_TIMEOUT', `plugin ${plugin.id} did not start in time`),
        );
        entry.started = true;
        // A plugin that reported its own health while starting (e.g. "loading model") keeps it.
        const own = this.opts.health.get(`plugin:${plugin.id}`);
        if (own?.status === 'starting' && own.message === HOST_STARTING) health.report('ok', 'running');
        log.info('plugin started');
      } catch (err) {
        abort.abort();
        health.report('failed', `failed to start: ${describeError(err)}`);
        log.error({ err: describeError(err) }, `plugin ${plugin.id} failed to start; the hub carries on without it`);
        await this.stopOne(entry);
      }
    }
  }

  async stopAll(): Promise<void> {
    while (this.running.length > 0) {
      const entry = this.running.pop();
      if (entry) await this.stopOne(entry);
    }
  }

  private async stopOne(entry: Running): Promise<void> {
    entry.abort.abort();
    try {
      await withTimeout(
        entry.plugin.stop(),
        this.opts.stopTimeoutMs ?? 4_000,
        () => new HubError('HUB_ERR_PLUGIN_TIMEOUT', `plugin ${entry.plugin.id} did not stop in time`),
      );
      if (entry.started) this.opts.health.set(`plugin:${entry.plugin.id}`, 'stopped', 'stopped');
    } catch (err) {
      this.opts.log.error({ plugin: entry.plugin.id, err: describeError(err) }, 'plugin failed to stop cleanly');
    }
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function pluginStore(db: Database, plugin: string): KeyValueStore {
  return {
    async get<T>(key: string) {
      const row = await db.get<{ value: string }>('SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?', [plugin, key]);
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    async set(key, value) {
      await db.run(
        'INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?) ON CONFLICT(plugin, key) DO UPDATE SET value = excluded.value',
        [plugin, key, JSON.stringify(value)],
      );
    },
    async delete(key) {
      await db.run('DELETE FROM plugin_kv WHERE plugin = ? AND key = ?', [plugin, key]);
    },
  };
}
