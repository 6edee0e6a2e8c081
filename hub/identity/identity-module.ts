/**
 * Makes (or loads) the hub's signing key at start and publishes its public half. Other modules
 * (evidence) get it with `core.module<IdentityModule>('identity')`.
 */
import type { HubCore, HubModule } from '../core.js';
import { formatFingerprint, HubIdentity, type PublicIdentity } from './hub-identity.js';

export class IdentityModule implements HubModule {
  readonly name = 'identity';
  private current: HubIdentity | null = null;
  private unsubscribe: (() => void) | null = null;

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
    // The signing key follows the owner: sealed to her key as soon as she has one, in memory only
    // while an owner is signed in.
    const owners = await core.vault.ownerRecipients();
    if (identity.plainOnCard && owners.length) {
      await identity.seal(owners);
      identity.lock();
      await core.audit.append({ action: 'identity.sealed', actor: 'system', subject: { owners: owners.length } });
    }
    this.unsubscribe = core.vault.onChange(async (c) => {
      if (c.role !== 'owner') return;
      if (c.unlocked) {
        if (identity.plainOnCard) {
          const to = await core.vault.ownerRecipients();
          await identity.seal(to);
          await core.audit.append({ action: 'identity.sealed', actor: c.userId, subject: { owners: to.length } });
        } else await identity.unlock(core.vault.ownerIdentities());
      } else if (core.vault.ownerIdentities().length === 0) identity.lock();
    });
    core.http.publicRoute({
      method: 'GET',
      url: '/api/identity',
      access: { public: true },
      handler: () => ({ ...identity.info, fingerprintGrouped: formatFingerprint(identity.info.fingerprint) }),
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.current?.lock();
    this.current = null;
  }
}

export function identityModule(): IdentityModule {
  return new IdentityModule();
}
