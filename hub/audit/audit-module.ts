/**
 * The audit log's routes (owner reads and verifies; nobody edits or deletes) and the bridge that
 * writes an audit entry for the bus facts no other module audits itself: alerts raised and each
 * step of their delivery (or refusal). Clips (with their hash, by the recorder), arming and
 * disarming, consent, logins and evidence requests are audited by the modules that perform
 * them, with the acting user.
 */
import { z } from 'zod';
import { describeError } from '../api/errors.js';
import type { Disposer, EventMap } from '../api/events.js';
import type { HubCore, HubModule } from '../core.js';

/** Bus events that become audit entries here, and the subject each keeps. */
const BRIDGED = {
  'alert.raised': (e: EventMap['alert.raised']) => ({ alertId: e.alertId, kind: e.kind, status: e.status, correlationId: e.correlationId }),
  'alert.status_changed': (e: EventMap['alert.status_changed']) => ({
    alertId: e.alertId,
    kind: e.kind,
    channel: e.channel,
    status: e.status,
    detail: e.detail,
  }),
} as const;

type BridgedName = keyof typeof BRIDGED;

export class AuditModule implements HubModule {
  readonly name = 'audit';
  private readonly offs: Disposer[] = [];
  private pending = new Set<Promise<unknown>>();

  async start(core: HubCore): Promise<void> {
    const log = core.log.child({ module: 'audit' });
    for (const name of Object.keys(BRIDGED) as BridgedName[]) {
      this.offs.push(
        core.bus.on(name, 'audit-bridge', (event) => {
          const subject = (BRIDGED[name] as (e: typeof event) => Record<string, unknown>)(event);
          const p = core.audit.append({ action: name, actor: event.source, subject }).then(
            () => undefined,
            (err: unknown) => log.error({ err: describeError(err), event: name }, 'could not write the audit entry'),
          );
          this.pending.add(p);
          void p.finally(() => this.pending.delete(p));
        }),
      );
    }

    core.http.route({
      method: 'GET',
      url: '/api/audit',
      access: { roles: ['owner'] },
      query: z.strictObject({
        fromSeq: z.coerce.number().int().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
        action: z.string().max(64).optional(),
        /** Entries about a duress disarm are left out unless asked for (someone may be looking). */
        includeSilent: z.enum(['true', 'false']).default('false'),
      }),
      handler: async ({ query }) => {
        const head = (await core.audit.head())?.seq ?? 0;
        const fromSeq = query.fromSeq ?? Math.max(1, head - query.limit + 1);
        const entries = await core.audit.entries({ fromSeq, limit: query.limit });
        const silent = (e: (typeof entries)[number]) => e.subject.duress === true || e.subject.kind === 'duress';
        const shown = query.includeSilent === 'true' ? entries : entries.filter((e) => !silent(e));
        return {
          count: head,
          entries: query.action ? shown.filter((e) => e.action === query.action) : shown,
        };
      },
    });

    core.http.route({
      method: 'GET',
      url: '/api/audit/verify',
      access: { roles: ['owner'] },
      handler: async ({ session }) => {
        const result = await core.audit.verify();
        if (!result.ok) log.error({ seq: result.seq, problem: result.problem }, 'the audit chain is broken');
        await core.audit.append({ action: 'audit.verified', actor: session.user.id, subject: { ok: result.ok } });
        return result;
      },
    });
  }

  /** Waits for bridged entries still being written (tests, and a clean stop). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    await this.settled();
  }
}

export function auditModule(): AuditModule {
  return new AuditModule();
}
