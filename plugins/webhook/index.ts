/**
 * `webhook`: posts each alert as JSON to a configured URL, signed with HMAC-SHA256 so the
 * receiver can tell it came from this hub and was not replayed: headers
 * `x-sanctuary-timestamp` (ms since the epoch) and `x-sanctuary-signature: sha256=<hex>` over
 * `<timestamp>.<body>`. Marked police or not in config; either way it sends nothing until the
 * owner switches it on for named kinds on "Where your information goes" (hub/policy). Only
 * https:// is accepted, or http:// to this machine. Network errors, 5xx, 408 and 429 are retried by the hub's outbox; other 4xx are not.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { describeError } from '../../hub/api/errors.js';
import {
  type DeliveryResult,
  type Disposer,
  type HubPlugin,
  isLoopbackHost,
  type OutboundAlert,
  type PluginContext,
} from '../../hub/api/index.js';

export const webhookConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The channel's name in the outbox and API. */
    channelId: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/)
      .default('webhook'),
    url: z.string().url().nullable().default(null),
    /** Shared HMAC secret; never logged. */
    secret: z.string().min(16, 'use a secret of at least 16 characters').nullable().default(null),
    police: z.boolean().default(false),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  })
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    if (!c.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'set the URL to enable the webhook' });
    if (!c.secret) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'set a secret to enable the webhook' });
    if (c.url && !plainHttpAllowed(c.url))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'plain http:// to another machine would send alerts in clear across the network: use https://',
      });
  });

/**
 * Plain HTTP only to this machine (a local relay); anything that crosses the network must be
 * HTTPS, or the alert, and the home it describes, can be read by anyone on the Wi-Fi.
 */
export function plainHttpAllowed(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
}

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookPlugin implements HubPlugin<WebhookConfig> {
  readonly id = 'webhook';
  readonly configSchema = webhookConfigSchema;
  private off: Disposer | null = null;

  async start(ctx: PluginContext<WebhookConfig>): Promise<void> {
    const c = ctx.config;
    if (!c.enabled || !c.url || !c.secret) {
      ctx.health.report('ok', 'no webhook configured');
      return;
    }
    const url = c.url;
    const secret = c.secret;
    const target = new URL(url).origin;
    const post = async (payload: unknown, signal: AbortSignal): Promise<DeliveryResult> => {
      const body = JSON.stringify(payload);
      const timestamp = String(ctx.services.clock.now());
      const timeout = AbortSignal.timeout(c.timeoutMs);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-sanctuary-timestamp': timestamp,
            'x-sanctuary-signature': signWebhook(secret, timestamp, body),
          },
          body,
          signal: AbortSignal.any([signal, timeout]),
        });
        await res.arrayBuffer();
      } catch (err) {
        ctx.health.report('degraded', `webhook ${target} unreachable: ${describeError(err)}`);
        return { ok: false, retryable: true, detail: `POST to ${target} failed: ${describeError(err)}` };
      }
      if (res.ok) {
        ctx.health.report('ok', `webhook ${target} answered ${res.status}`);
        return { ok: true, acknowledged: true, detail: `HTTP ${res.status}` };
      }
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      ctx.health.report('degraded', `webhook ${target} answered ${res.status}`);
      return { ok: false, retryable, detail: `HTTP ${res.status} from ${target}` };
    };
    this.off = ctx.services.alerts.register({
      id: c.channelId,
      police: c.police,
      destination: `${target}${new URL(url).pathname}`,
      offMachine: !isLoopbackHost(new URL(url).hostname),
      deliver: (alert: OutboundAlert, signal) => post({ type: 'alert', alert }, signal),
      test: (signal) => post({ type: 'test', sentAt: ctx.services.clock.now() }, signal),
    });
    ctx.log.info({ target, police: c.police, channel: c.channelId }, 'webhook channel ready');
    ctx.health.report('ok', `webhook to ${target}${c.police ? ' (police)' : ''}`);
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = null;
  }
}

export function webhookPlugin(): WebhookPlugin {
  return new WebhookPlugin();
}
