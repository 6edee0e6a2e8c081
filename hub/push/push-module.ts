/**
 * The push module: the hub's VAPID key pair, the owner's device subscriptions, the durable push
 * queue and its sender, the triggers, and "ask me first" answered from a notification's buttons.
 *
 * Notifications are an outbound flow like any other: they leave the home through the phone
 * maker's push service, so nothing is sent until the owner switches notifications on ("Where
 * your information goes", consent id `push`), and every notification asks the policy's
 * `owner_notification` row first.
 */
import type { Agent } from 'node:https';
import webpush from 'web-push';
import type { AlertsModule } from '../alerts/alerts-module.js';
import type { Disposer } from '../api/events.js';
import type { HubCore, HubModule } from '../core.js';
import { SerialQueue } from '../storage/serial-queue.js';
import { Notifier } from './notifier.js';
import { registerPushRoutes } from './push-routes.js';
import { PushSender } from './push-sender.js';
import { PushStore } from './push-store.js';
import { wirePushTriggers } from './push-triggers.js';

export interface PushModuleOptions {
  /** TLS trust for push services (tests pass an agent that trusts their loopback push service). */
  agent?: Agent;
}

export class PushModule implements HubModule {
  readonly name = 'push';
  store: PushStore | null = null;
  sender: PushSender | null = null;
  notifier: Notifier | null = null;
  private offs: Disposer[] = [];
  /** Trigger work in order (cooldowns, then the queue insert); drained before the sender stops. */
  private readonly queue = new SerialQueue();

  constructor(private readonly opts: PushModuleOptions = {}) {}

  async start(core: HubCore): Promise<void> {
    const config = core.config.push;
    if (!config.enabled) return;
    const log = core.log.child({ module: 'push' });
    const store = new PushStore(core.db);
    this.store = store;
    const now = () => core.clock.now();
    let keys = await store.vapid();
    if (!keys) {
      const made = webpush.generateVAPIDKeys();
      await store.saveVapid(made.publicKey, made.privateKey, now());
      keys = await store.vapid();
      if (!keys) throw new Error('the VAPID key pair could not be stored');
      log.info({ publicKey: keys.public_key }, 'made the VAPID key pair for notifications');
    }
    const publicKey = keys.public_key;
    const outbox = () => core.module<AlertsModule>('alerts')?.outbox ?? null;
    const sender = new PushSender(
      store,
      { publicKey, privateKey: keys.private_key, subject: config.subject },
      {
        retryInitialMs: core.config.alerts.retryInitialMs,
        retryMaxSeconds: core.config.alerts.retryMaxSeconds,
        attemptTimeoutSeconds: config.attemptTimeoutSeconds,
        ...(this.opts.agent ? { agent: this.opts.agent } : {}),
      },
      now,
      log,
      {
        allowed: () => core.policy.notificationsOn(),
        accepted: async (row, _sub, at) => {
          if (row.kind === 'ask' && row.alert_id) await outbox()?.askDelivered(row.alert_id, at);
        },
        removed: async (sub, reason) => {
          await core.audit.append({
            action: 'push.unsubscribed',
            actor: 'system',
            subject: { subscriptionId: sub.id, device: sub.device, reason },
          });
        },
      },
    );
    this.sender = sender;
    const notifier = new Notifier(store, now, (id) => sender.kick(id));
    this.notifier = notifier;
    registerPushRoutes(core, { store, publicKey, outbox, log });
    this.offs = wirePushTriggers({
      core,
      store,
      queue: this.queue,
      notify: (req) => notifier.notify(req),
      personCooldownMs: config.personCooldownSeconds * 1000,
    });
    await sender.kickAll();
    log.info({ publicKey }, 'web push ready');
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    await this.queue.idle();
    await this.sender?.stop();
  }
}
