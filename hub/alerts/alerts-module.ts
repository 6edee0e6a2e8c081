/**
 * The alerts module: the consent-gated outbox, the triggers that feed it, and the API the victim
 * uses to see what police were told ("police notified 02:13:05, acknowledged"), to answer `ask`
 * alerts, and the installer's test signal.
 */
import { z } from 'zod';
import { describeError, HubError, NotFoundError, ValidationError } from '../api/errors.js';
import type { Disposer } from '../api/events.js';
import type { ConsentModule } from '../consent/consent-module.js';
import type { HubCore, HubModule } from '../core.js';
import { alertView } from './alert-view.js';
import { Outbox, type RaiseInput } from './outbox.js';
import { ALARM_ALERTS, ALARM_EVENTS, type AlarmEvent, wireTriggers } from './triggers.js';
import { registerVerificationRoutes } from './verification-routes.js';

/** How far back a restart looks for alarms without their alert. */
const CATCH_UP_MS = 24 * 3600_000;

/** Raise the alerts of alarm events in [fromTs, beforeTs) that have none; returns how many. */
export async function catchUpAlarms(core: HubCore, outbox: Outbox, fromTs: number, beforeTs: number): Promise<number> {
  await core.eventLog.flush();
  const events = await core.eventLog.query({ names: [...ALARM_EVENTS], from: fromTs, to: beforeTs - 1, limit: 5000 });
  let raised = 0;
  for (const e of events.reverse()) {
    if (await outbox.store.hasCorrelation(e.correlationId)) continue;
    // The stored payload is the event as it was emitted under this name.
    const input = (ALARM_ALERTS[e.name as AlarmEvent] as (p: unknown) => RaiseInput)(e.payload);
    const row = await outbox.raise({
      ...input,
      text: `${input.text}, at ${new Date(e.ts).toISOString()} (raised after the hub restarted)`,
    });
    if (row) raised++;
  }
  return raised;
}

export class AlertsModule implements HubModule {
  readonly name = 'alerts';
  outbox: Outbox | null = null;
  private offs: Disposer[] = [];

  async start(core: HubCore): Promise<void> {
    const consent = core.module<ConsentModule>('consent');
    if (!consent) throw new HubError('HUB_ERR_INTERNAL', 'the alerts module needs the consent module to start first');
    const config = core.config.alerts;
    const outbox = new Outbox(core, consent, config);
    this.outbox = outbox;
    const view = async (id: string) => {
      const a = await outbox.store.alert(id);
      if (!a) throw new NotFoundError('alert');
      return alertView(a, await outbox.store.deliveries(id));
    };

    core.http.route({
      method: 'GET',
      url: '/api/alerts',
      access: { roles: ['owner'] },
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      handler: async ({ query, session }) => {
        // Silent alerts (a covert panic, duress) are never listed here: the list may be open in
        // front of the abuser. The audit chain and evidence exports keep them.
        const surface = core.policy.surfaceFor(session);
        const rows = (await outbox.store.list({ includeSilent: true, limit: query.limit })).filter((r) =>
          core.policy.mayShow(surface, 'alert.raised', { kind: r.kind, silent: r.silent === 1, correlationId: r.correlation_id }),
        );
        const deliveries = await outbox.store.deliveriesFor(rows.map((r) => r.id));
        return {
          alerts: rows.map((r) =>
            alertView(
              r,
              deliveries.filter((d) => d.alert_id === r.id),
            ),
          ),
        };
      },
    });
    const idParams = z.strictObject({ id: z.string().uuid() });
    core.http.route({
      method: 'GET',
      url: '/api/alerts/:id',
      access: { roles: ['owner'] },
      params: idParams,
      handler: async ({ params, session }) => {
        const a = await outbox.store.alert(params.id);
        const surface = core.policy.surfaceFor(session);
        if (!a || !core.policy.mayShow(surface, 'alert.raised', { kind: a.kind, silent: a.silent === 1, correlationId: a.correlation_id }))
          throw new NotFoundError('alert');
        return view(params.id);
      },
    });
    core.http.route({
      method: 'POST',
      url: '/api/alerts/:id/send',
      access: { roles: ['owner'] },
      params: idParams,
      handler: async ({ params, session }) => {
        await outbox.send(params.id, session.user.id);
        return view(params.id);
      },
    });
    // "Tell the police now" with consent given on the spot, for this alert and this destination only.
    core.http.route({
      method: 'POST',
      url: '/api/alerts/:id/send-once',
      access: { roles: ['owner'] },
      params: idParams,
      body: z.strictObject({ channel: z.string().min(1).max(100), destination: z.string().min(1).max(1000) }),
      handler: async ({ params, body, session }) => {
        const a = await outbox.store.alert(params.id);
        const surface = core.policy.surfaceFor(session);
        if (!a || !core.policy.mayShow(surface, 'alert.raised', { kind: a.kind, silent: a.silent === 1, correlationId: a.correlation_id }))
          throw new NotFoundError('alert');
        await outbox.sendOnce(params.id, body.channel, body.destination, { userId: session.user.id, sessionId: session.sessionId });
        return view(params.id);
      },
    });
    core.http.route({
      method: 'POST',
      url: '/api/alerts/:id/dismiss',
      access: { roles: ['owner'] },
      params: idParams,
      handler: async ({ params, session }) => {
        await outbox.dismiss(params.id, session.user.id);
        return view(params.id);
      },
    });
    core.http.route({
      method: 'POST',
      url: '/api/alerts/test',
      access: { roles: ['installer', 'owner'] },
      body: z.strictObject({ channel: z.string().min(1).optional() }).optional(),
      handler: async ({ body, session }) => {
        const channels = core.alertChannels.list();
        const id = body?.channel ?? channels.find((c) => c.police)?.id ?? channels[0]?.id;
        const channel = id ? core.alertChannels.get(id) : undefined;
        if (!channel) throw new NotFoundError(id ? `alert channel "${id}"` : 'an alert channel (none is set up)');
        if (!channel.test) throw new ValidationError(`channel "${channel.id}" has no test signal`, { channel: channel.id });
        const test = channel.test.bind(channel);
        const result = await outbox.worker.attempt(channel.id, null, (signal) => test(signal));
        await core.audit.append({
          action: 'alert.test',
          actor: session.user.id,
          subject: { channel: channel.id, ok: result.ok, detail: result.detail },
        });
        core.log.info({ channel: channel.id, ok: result.ok, detail: result.detail }, 'test signal sent');
        return { channel: channel.id, police: channel.police, ...result };
      },
    });

    registerVerificationRoutes(core, outbox.links, outbox.store);

    this.offs = wireTriggers(core, outbox, config);
    // A kill between storing a panic (the event log) and recording its alert left it without
    // one: raise it now. Only events from before this start: the triggers have the rest.
    const startedAt = core.clock.now();
    catchUpAlarms(core, outbox, startedAt - CATCH_UP_MS, startedAt).then(
      (n) => {
        if (n > 0) core.log.warn({ alerts: n }, 'raised alerts for alarms stored before a restart that had none');
      },
      (err: unknown) => {
        core.log.error({ err: describeError(err) }, 'could not check for alarms left without an alert');
        core.health.set('alerts', 'degraded', `could not check for alarms left without an alert: ${describeError(err)}`);
      },
    );
    // Plugins start after modules: each channel that registers picks up what waited for it.
    this.offs.push(
      core.alertChannels.onRegister(
        () =>
          void outbox.worker.kickAll().catch((err: unknown) => core.log.error({ err: String(err) }, 'could not resume alert deliveries')),
      ),
    );
    // A channel that proves its far end is back (link test or any ACK) releases its queue at once.
    this.offs.push(core.alertChannels.onLinkUp((channel) => outbox.worker.linkUp(channel)));
    await outbox.resume();
    this.offs.push(core.liveness.register('outbox', () => outbox.alive()));
    core.health.set('alerts', 'ok', 'alert outbox ready');
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    await this.outbox?.stop();
  }
}
