/**
 * Health of every component. Components report; /api/health reads. A change of status is also
 * emitted as `health.changed` so the UI and alert rules see it.
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

  /** A probe runs each time health is read (disk space, clock). */
  addProbe(component: string, probe: HealthProbe): void {
    this.probes.set(component, probe);
  }

  async snapshot(): Promise<{
    status: HealthStatus;
    components: Record<string, ComponentHealth>;
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
    const status: HealthStatus = statuses.includes('failed') ? 'degraded' : statuses.includes('degraded') ? 'degraded' : 'ok';
    return { status, components };
  }

  get(component: string): ComponentHealth | undefined {
    return this.components.get(component);
  }
}
