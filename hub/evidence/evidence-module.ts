/**
 * The evidence module: police footage requests, signed export packages, police downloads and
 * advocates' incident logs. Needs the hub identity (the `identity` module, started before it).
 */
import type { HubCore, HubModule } from '../core.js';
import { HubIdentity } from '../identity/hub-identity.js';
import type { IdentityModule } from '../identity/identity-module.js';
import { registerDownloadRoutes } from './downloads.js';
import { ExportRunner } from './export-runner.js';
import { ExportStore } from './exports-store.js';
import { registerIncidentRoutes } from './incident-routes.js';
import { registerRequestRoutes } from './request-routes.js';
import { RequestStore } from './requests-store.js';

export class EvidenceModule implements HubModule {
  readonly name = 'evidence';
  private runner: ExportRunner | null = null;

  /** The export runner, for tests and the bench to wait on an export. */
  get exports(): ExportRunner {
    if (!this.runner) throw new Error('evidence module not started');
    return this.runner;
  }

  async start(core: HubCore): Promise<void> {
    const log = core.log.child({ module: 'evidence' });
    // Started without the identity module (a test's module list): the same key file is used.
    const identity = core.module<IdentityModule>('identity')?.identity ?? (await HubIdentity.loadOrCreate(core.dataDir)).identity;
    const { HUB_VERSION } = await import('../app.js');
    const now = () => core.clock.now();
    const requests = new RequestStore(core.db, now);
    const exports = new ExportStore(core.db, now);
    const interrupted = await exports.failInterrupted();
    if (interrupted > 0)
      log.warn({ interrupted }, 'exports interrupted by the last stop were marked failed; the owner can start them again');
    this.runner = new ExportRunner(core, identity, exports, HUB_VERSION);
    registerRequestRoutes(core, requests, exports, this.runner);
    registerDownloadRoutes(core, requests, exports, core.config.evidence.downloadTokenMinutes);
    registerIncidentRoutes(core, identity);
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    this.runner = null;
  }
}

export function evidenceModule(): EvidenceModule {
  return new EvidenceModule();
}
