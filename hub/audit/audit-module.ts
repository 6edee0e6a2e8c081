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
  'alert.raised': (e: EventMap['alert.raised']) => ({
    alertId: e.alertId,
    kind: e.kind,
    status: e.status,
    silent: e.silent,
    correlationId: e.correlationId,
  }),
  'alert.status_changed': (e: EventMap['alert.status_changed']) => ({
    alertId: e.alertId,
    kind: e.kind,
    silent: e.silent,
    correlationId: e.correlationId,
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

    // The owner's listing is a page someone else may be looking at over her shoulder: the policy
    // leaves out entries about a silent panic or a duress disarm, and lists a disarm made with the
    // duress PIN like the disarm everyone saw. Listed entries carry no sequence numbers or hashes,
    // so a gap cannot tell anyone that something was left out; `sanctuary verify --audit`, the
    // evidence export and `/api/audit/full` show the chain as it is.
    core.http.route({
      method: 'GET',
      url: '/api/audit',
      access: { roles: ['owner'] },
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(1000).default(200),
        action: z.string().max(64).optional(),
      }),
      handler: async ({ query }) => {
        const head = (await core.audit.head())?.seq ?? 0;
        // Read a little more than asked so hidden entries do not shorten the page.
        const fromSeq = Math.max(1, head - query.limit * 2 + 1);
        const entries = await core.audit.entries({ fromSeq, limit: query.limit * 2 });
        const shown = entries
          .map((e) => core.policy.auditView('owner_app', e))
          .filter((e): e is NonNullable<typeof e> => e !== null)
          .filter((e) => !query.action || e.action === query.action)
          .slice(-query.limit)
          .map((e) => ({ ts: e.ts, action: e.action, actor: e.actor, subject: e.subject }));
        return { entries: shown };
      },
    });

    // The whole chain, silent entries included. Someone holding the unlocked phone must not see a
    // silent alarm with one tap, so this needs the password typed again; that it was viewed is
    // itself recorded (the owner can see that somebody looked).
    core.http.route({
      method: 'POST',
      url: '/api/audit/full',
      access: { roles: ['owner'] },
      body: z.strictObject({
        password: z.string().min(1).max(256),
        fromSeq: z.number().int().min(1).optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      }),
      handler: async ({ body, session }) => {
        await core.accounts.confirmPassword(session.user.id, body.password, 'audit.full');
        const head = (await core.audit.head())?.seq ?? 0;
        const fromSeq = body.fromSeq ?? Math.max(1, head - body.limit + 1);
        const entries = await core.audit.entries({ fromSeq, limit: body.limit });
        await core.audit.append({ action: 'audit.full_viewed', actor: session.user.id, subject: { fromSeq, count: entries.length } });
        return { count: head, entries };
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
