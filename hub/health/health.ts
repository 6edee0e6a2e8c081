/**
 * Health of every component. Components report; /api/health reads. A change of status is also
 * emitted as `health.changed` so the UI and alert rules see it.
 *
 * The hub as a whole is `failed` only when a critical component is: one without which it cannot
 * protect the home (the database, ffmpeg, a critical loop that stopped making progress). A camera
 * offline or a plugin that failed keeps the hub `degraded`: it still serves and still alarms.
 * Public /api/health turns a `failed` hub into `up: false`, which is what `sanctuary update`
 * waits on before it keeps a new release.
 */
import type { EventBus, HealthStatus } from '../api/events.js';
import type { HealthReporter } from '../api/plugin.js';

export interface ComponentHealth {
  status: HealthStatus;
  message: string;
  since: number;
  details?: Record<string, unknown>;
}

export type HealthProbe = () => Promise<Omit<ComponentHealth, 'since'>>;

export class HealthRegistry {
  private readonly components = new Map<string, ComponentHealth>();
  private readonly probes = new Map<string, HealthProbe>();
  private readonly critical = new Set<string>();

  constructor(
    private readonly bus: EventBus | null,
    private readonly now: () => number = Date.now,
  ) {}

  reporter(component: string): HealthReporter {
    return {
      report: (status, message, details) => this.set(component, status, message, details),
    };
  }

  set(component: string, status: HealthStatus, message: string, details?: Record<string, unknown>): void {
    const prev = this.components.get(component);
    const entry: ComponentHealth = {
      status,
      message,
      since: prev?.status === status ? prev.since : this.now(),
    };
    if (details) entry.details = details;
    this.components.set(component, entry);
    if (prev?.status !== status || prev.message !== message) {
      this.bus?.emit('health.changed', {
        source: 'health',
        component,
        status,
        message,
      });
    }
  }

  /** Marks components whose failure means the hub as a whole has failed (see the file comment). */
  markCritical(...components: string[]): void {
    for (const c of components) this.critical.add(c);
  }

  /** A probe runs each time health is read (disk space, clock). */
  addProbe(component: string, probe: HealthProbe): void {
    this.probes.set(component, probe);
  }

  async snapshot(): Promise<{
    status: HealthStatus;
    components: Record<string, ComponentHealth>;
    /** Critical components that failed: non-empty exactly when `status` is `failed`. */
    criticalFailed: string[];
  }> {
    for (const [name, probe] of this.probes) {
      try {
        const r = await probe();
        this.set(name, r.status, r.message, r.details);
      } catch (err) {
        this.set(name, 'failed', `health probe failed: ${(err as Error).message}`);
      }
    }
    const components = Object.fromEntries(this.components);
    const statuses = Object.values(components).map((c) => c.status);
    const criticalFailed = [...this.critical].filter((c) => components[c]?.status === 'failed').sort();
    const status: HealthStatus =
      criticalFailed.length > 0 ? 'failed' : statuses.includes('failed') || statuses.includes('degraded') ? 'degraded' : 'ok';
    return { status, components, criticalFailed };
  }

  get(component: string): ComponentHealth | undefined {
    return this.components.get(component);
  }
}
