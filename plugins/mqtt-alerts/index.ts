/**
 * `mqtt-alerts`: publishes alerts on a local MQTT topic (`<topic>/<kind>`) for home automations
 * (lights on, a smart speaker message). Never a police path (`police: false`). Like every
 * channel it is off until the owner switches it on for named kinds, and the policy keeps silent
 * panics and duress off it (a light flashing in the hall would give them away).
 * Nothing is retained: a later subscriber must not learn of past alerts.
 */
import { z } from 'zod';
import { describeError } from '../../hub/api/errors.js';
import type { Disposer, HubPlugin, OutboundAlert, PluginContext } from '../../hub/api/index.js';

export const mqttAlertsConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  topic: z
    .string()
    .min(1)
    .regex(/^[^#+]+$/, 'a plain topic (no wildcards)')
    .default('sanctuary/alerts'),
});

export type MqttAlertsConfig = z.infer<typeof mqttAlertsConfigSchema>;

export class MqttAlertsPlugin implements HubPlugin<MqttAlertsConfig> {
  readonly id = 'mqtt-alerts';
  readonly configSchema = mqttAlertsConfigSchema;
  private off: Disposer | null = null;

  async start(ctx: PluginContext<MqttAlertsConfig>): Promise<void> {
    if (!ctx.config.enabled) {
      ctx.health.report('ok', 'local alert topic off');
      return;
    }
    const base = ctx.config.topic.replace(/\/+$/, '');
    const publish = async (topic: string, payload: object) => {
      try {
        await ctx.services.mqtt.publish(topic, JSON.stringify(payload), { qos: 1, retain: false });
        return { ok: true as const, acknowledged: false, detail: `published on ${topic}` };
      } catch (err) {
        return { ok: false as const, retryable: true, detail: `publish on ${topic} failed: ${describeError(err)}` };
      }
    };
    this.off = ctx.services.alerts.register({
      id: 'mqtt',
      police: false,
      destination: `MQTT topic ${base}/<kind> on ${ctx.services.mqtt.brokerLabel}`,
      offMachine: ctx.services.mqtt.offMachine,
      deliver: (a: OutboundAlert) =>
        publish(`${base}/${a.kind}`, {
          alertId: a.alertId,
          kind: a.kind,
          phase: a.phase,
          zone: a.zone,
          text: a.text,
          createdAt: a.createdAt,
        }),
      test: () => publish(`${base}/test`, { test: true, sentAt: ctx.services.clock.now() }),
    });
    ctx.health.report('ok', `alerts published on ${base}/<kind>`);
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = null;
  }
}

export function mqttAlertsPlugin(): MqttAlertsPlugin {
  return new MqttAlertsPlugin();
}
