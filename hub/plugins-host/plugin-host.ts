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
  /** Settings saved from the web app, per plugin (they override the config file's section). */
  private readonly stored = new Map<string, Record<string, unknown>>();
  private runtime: { db: Database; services: HubServices } | null = null;

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
    this.runtime = runtime;
    await this.loadStoredSettings(runtime.db);
    for (const plugin of this.plugins) {
      const entry: Running = { plugin, abort: new AbortController(), started: false };
      this.running.push(entry);
      await this.startOne(entry, runtime);
    }
  }

  /** The settings a plugin runs with now (config file, then settings saved from the web app). */
  settings(id: string): unknown {
    if (!this.plugins.some((p) => p.id === id)) throw new HubError('HUB_ERR_NOT_FOUND', `no plugin "${id}"`);
    return this.configs.get(id);
  }

  /**
   * Change a plugin's settings while the hub runs (the installer's ARC account, say): validate
   * the merged settings, store them, then stop and start that one plugin with them. Settings
   * saved here win over the config file's section for that plugin, across restarts.
   */
  async reconfigure(id: string, changes: Record<string, unknown>): Promise<unknown> {
    const runtime = this.runtime;
    const entry = this.running.find((r) => r.plugin.id === id);
    if (!runtime || !entry) throw new HubError('HUB_ERR_NOT_FOUND', `no running plugin "${id}"`);
    const base = (this.opts.pluginConfig[id] ?? {}) as Record<string, unknown>;
    const stored = this.stored.get(id) ?? {};
    const next = { ...stored, ...changes };
    const parsed = entry.plugin.configSchema.safeParse({ ...base, ...next });
    if (!parsed.success) {
      const { field, problem } = formatZodIssues(parsed.error, `plugins.${id}`);
      throw new ConfigError(field, problem);
    }
    await runtime.db.run(
      'INSERT INTO plugin_settings (plugin, body, updated_at) VALUES (?, ?, ?) ON CONFLICT(plugin) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
      [id, JSON.stringify(next), Date.now()],
    );
    this.stored.set(id, next);
    this.configs.set(id, Object.freeze(parsed.data));
    await this.stopOne(entry);
    entry.abort = new AbortController();
    entry.started = false;
    await this.startOne(entry, runtime);
    return parsed.data;
  }

  private async loadStoredSettings(db: Database): Promise<void> {
    const rows = await db.all<{ plugin: string; body: string }>('SELECT plugin, body FROM plugin_settings');
    for (const row of rows) {
      const plugin = this.plugins.find((p) => p.id === row.plugin);
      if (!plugin) continue;
      const stored = JSON.parse(row.body) as Record<string, unknown>;
      const base = (this.opts.pluginConfig[row.plugin] ?? {}) as Record<string, unknown>;
      const parsed = plugin.configSchema.safeParse({ ...base, ...stored });
      if (!parsed.success) {
        // Saved settings that no longer fit (the plugin changed): run on the config file and say so.
        const { field, problem } = formatZodIssues(parsed.error, `plugins.${row.plugin}`);
        this.opts.log.error({ plugin: row.plugin, field, problem }, 'saved plugin settings are invalid; using the config file instead');
        continue;
      }
      this.stored.set(row.plugin, stored);
      this.configs.set(row.plugin, Object.freeze(parsed.data));
    }
  }

  private async startOne(entry: Running, runtime: { db: Database; services: HubServices }): Promise<void> {
    const { plugin, abort } = entry;
    const health = this.opts.health.reporter(`plugin:${plugin.id}`);
    const log = this.opts.log.child({ plugin: plugin.id });
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
