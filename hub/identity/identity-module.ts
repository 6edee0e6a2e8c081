/**
 * Makes (or loads) the hub's signing key at start and publishes its public half. Other modules
 * (evidence) get it with `core.module<IdentityModule>('identity')`.
 */
import type { HubCore, HubModule } from '../core.js';
import { formatFingerprint, HubIdentity, type PublicIdentity } from './hub-identity.js';

export class IdentityModule implements HubModule {
  readonly name = 'identity';
  private current: HubIdentity | null = null;

  get identity(): HubIdentity {
    if (!this.current) throw new Error('identity module not started');
    return this.current;
  }

  /** The public half, or null before start (for `GET /api`). */
  get publicInfo(): PublicIdentity | null {
    return this.current?.info ?? null;
  }

  async start(core: HubCore): Promise<void> {
    const { identity, created } = await HubIdentity.loadOrCreate(core.dataDir);
    this.current = identity;
    if (created) {
      await core.audit.append({
        action: 'identity.created',
        actor: 'system',
        subject: { hubId: identity.info.hubId, fingerprint: identity.info.fingerprint },
      });
    }
    core.log.info({ hubId: identity.info.hubId, fingerprint: identity.info.fingerprint, created }, 'hub identity ready');
    core.http.publicRoute({
      method: 'GET',
      url: '/api/identity',
      access: { public: true },
      handler: () => ({ ...identity.info, fingerprintGrouped: formatFingerprint(identity.info.fingerprint) }),
    });
  }

  async stop(): Promise<void> {
    this.current = null;
  }
}

export function identityModule(): IdentityModule {
  return new IdentityModule();
}
