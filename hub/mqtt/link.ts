/**
 * The hub's own MQTT client, shared by plugins through `MqttLink`. Built so no sensor change is
 * lost while the link is down:
 * - a stable client id and a persistent session (`clean: false`), so the broker queues QoS 1
 *   messages for the hub while it reconnects or restarts;
 * - QoS 1 subscriptions, made again on every connection whose session the broker lost;
 * - messages that arrive before any plugin has subscribed (the broker replays a session's queue
 *   right after connecting, while plugins are still starting) are kept for a while and handed
 *   to the first subscription they match, in order;
 * - the hub starts while an external broker is down: health says so and the client keeps
 *   retrying with backoff (1 s doubling to 30 s), then catches up from the session.
 * - a QoS 1 message is acknowledged only once what it caused is stored (`settle`: the event log
 *   written, the listeners done): a hub killed between the two gets it again from the session;
 *   a message no plugin has claimed yet waits for the hub to finish starting (`ready()`).
 * Handler errors are isolated per owner.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { describeError, HubError } from '../api/errors.js';
import type { Disposer } from '../api/events.js';
import { topicMatches } from '../api/mqtt-topics.js';
import { isLoopbackHost } from '../api/net.js';
import type { HealthReporter, Logger, MqttLink } from '../api/plugin.js';
import { redactUrl } from '../log/logger.js';

interface Sub {
  filter: string;
  owner: string;
  handler: (topic: string, payload: Buffer, info: { retain: boolean }) => void;
}

interface Unclaimed {
  topic: string;
  payload: Buffer;
  retain: boolean;
  at: number;
  /** Called once it is handed to a subscription or dropped. */
  settled: () => void;
}

export interface MqttLinkOptions {
  /** Stable across restarts (the broker keys the persistent session on it). */
  clientId: string;
  /** How long a message no subscription wants yet is kept for one that may come. */
  unclaimedMs?: number;
  /** Resolves once what a delivered message caused is stored; the broker gets its ack after that. */
  settle?: () => Promise<void>;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
const MAX_UNCLAIMED = 2000;

export class HubMqttLink implements MqttLink {
  private client: MqttClient | null = null;
  private readonly subs = new Set<Sub>();
  /** Filters the broker holds for this session. */
  private readonly subscribed = new Set<string>();
  private unclaimed: Unclaimed[] = [];
  private readonly unsubscribeTimers = new Set<NodeJS.Timeout>();
  private retryMs = RETRY_MIN_MS;
  private everConnected = false;
  /** Set by dispatch when no subscription took the message being delivered: resolves once one claims it (or it is dropped). */
  private lastClaim: Promise<void> | null = null;
  /** Deliveries holding mqtt.js's reading until a plugin claims their message. */
  private awaitingClaim = 0;
  private markReady: () => void = () => undefined;
  /** Resolves when the hub has started every plugin: an unclaimed message is then nobody's. */
  private readonly started = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(
    private readonly url: string,
    private readonly auth: { username: string | null; password: string | null },
    private readonly log: Logger,
    private readonly health: HealthReporter,
    private readonly options: MqttLinkOptions = { clientId: `sanctuary-hub-${process.pid}` },
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get brokerLabel(): string {
    return `MQTT broker ${redactUrl(this.url)}`;
  }

  get offMachine(): boolean {
    try {
      return !isLoopbackHost(new URL(this.url).hostname);
    } catch {
      // A URL mqtt.js accepts but WHATWG does not: assume it leaves the machine (the safe answer).
      return true;
    }
  }

  /**
   * Connect, waiting up to `timeoutMs` for the broker. A broker that does not answer in time is
   * not fatal: the hub starts, health reports it, and the client keeps trying.
   */
  async connect(timeoutMs = 10_000): Promise<void> {
    const client = mqtt.connect(this.url, {
      clientId: this.options.clientId,
      clean: false,
      reconnectPeriod: RETRY_MIN_MS,
      connectTimeout: Math.min(timeoutMs, 10_000),
      // This link makes its subscriptions itself, knowing whether the broker kept the session.
      resubscribe: false,
      ...(this.auth.username ? { username: this.auth.username } : {}),
      ...(this.auth.password ? { password: this.auth.password } : {}),
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet.retain));
    // mqtt.js sends the PUBACK when this calls back, after 'message' was emitted.
    client.handleMessage = (_packet, done) => {
      this.afterDelivery().then(
        () => done(),
        (err: unknown) => {
          this.log.error({ err: describeError(err) }, 'could not confirm an MQTT message was stored; acknowledging it anyway');
          done();
        },
      );
    };
    client.on('connect', (connack) => this.onConnect(client, connack.sessionPresent));
    client.on('offline', () => {
      this.health.report(
        this.everConnected ? 'degraded' : 'failed',
        `broker ${redactUrl(this.url)} unreachable; retrying every ${Math.round(this.retryMs / 1000)} s`,
      );
    });
    client.on('close', () => {
      // Back off while the broker stays away; mqtt.js reads the period before each attempt.
      client.options.reconnectPeriod = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'MQTT client error'));
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) {
      this.log.error({ url: redactUrl(this.url) }, 'MQTT broker unreachable at start; the hub runs on and keeps retrying');
      this.health.report('failed', `cannot reach MQTT broker ${redactUrl(this.url)}; retrying with backoff (sensors wait for it)`);
    }
  }

  /** The hub has started its plugins: messages still unclaimed are nobody's and may be acknowledged. */
  ready(): void {
    this.markReady();
  }

  private async afterDelivery(): Promise<void> {
    const claim = this.lastClaim;
    this.lastClaim = null;
    if (claim) {
      // mqtt.js reads nothing more (no SUBACK either) until this returns: see subscribe().
      this.awaitingClaim++;
      let timer: NodeJS.Timeout | null = null;
      try {
        await Promise.race([
          claim,
          this.started,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.options.unclaimedMs ?? 60_000);
          }),
        ]);
      } finally {
        if (timer) clearTimeout(timer);
        this.awaitingClaim--;
      }
    }
    await this.options.settle?.();
  }

  private onConnect(client: MqttClient, sessionPresent: boolean): void {
    this.everConnected = true;
    this.retryMs = RETRY_MIN_MS;
    client.options.reconnectPeriod = RETRY_MIN_MS;
    if (!sessionPresent) this.subscribed.clear();
    this.health.report('ok', `connected to ${redactUrl(this.url)}${sessionPresent ? ' (session resumed)' : ''}`);
    for (const filter of new Set([...this.subs].map((s) => s.filter))) {
      if (this.subscribed.has(filter)) continue;
      this.brokerSubscribe(client, filter).then(undefined, (err: unknown) => {
        this.log.error({ filter, err: describeError(err) }, 'MQTT subscribe after reconnect failed');
      });
    }
  }

  private async brokerSubscribe(client: MqttClient, filter: string): Promise<void> {
    await client.subscribeAsync(filter, { qos: 1 });
    this.subscribed.add(filter);
  }

  async publish(topic: string, payload: string | Buffer, options: { retain?: boolean; qos?: 0 | 1 | 2 } = {}): Promise<void> {
    if (!this.client) throw new HubError('HUB_ERR_BROKER', 'MQTT link not connected');
    await this.client.publishAsync(topic, payload, {
      retain: options.retain ?? false,
      qos: options.qos ?? 0,
    });
  }

  async subscribe(
    filter: string,
    owner: string,
    handler: (topic: string, payload: Buffer, info: { retain: boolean }) => void,
  ): Promise<Disposer> {
    const client = this.client;
    if (!client) throw new HubError('HUB_ERR_BROKER', 'MQTT link not connected');
    const sub: Sub = { filter, owner, handler };
    this.subs.add(sub);
    this.claim(sub);
    // While the broker is away the subscription is made on (re)connect: a plugin's start does not wait for it.
    // Nor while a replayed message waits for its plugin: mqtt.js cannot read the SUBACK until then
    // (the broker has the subscription once it has read the SUBSCRIBE; only the answer waits).
    if (client.connected && !this.subscribed.has(filter)) {
      const made = this.brokerSubscribe(client, filter);
      if (this.awaitingClaim === 0) await made;
      else made.then(undefined, (err: unknown) => this.log.error({ filter, err: describeError(err) }, 'MQTT subscribe failed'));
    }
    return () => {
      this.subs.delete(sub);
      // Later, not now: a plugin stopping because the hub restarts must leave its subscription in
      // the persistent session, so what arrives meanwhile is queued for the next run.
      const timer = setTimeout(() => {
        this.unsubscribeTimers.delete(timer);
        const stillWanted = [...this.subs].some((s) => s.filter === filter);
        if (stillWanted || !this.client?.connected) return;
        this.subscribed.delete(filter);
        this.client.unsubscribeAsync(filter).then(undefined, (err: unknown) => {
          this.log.warn({ filter, err: describeError(err) }, 'MQTT unsubscribe failed');
        });
      }, this.options.unclaimedMs ?? 60_000);
      this.unsubscribeTimers.add(timer);
    };
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.subs.clear();
    for (const m of this.unclaimed) m.settled();
    this.unclaimed = [];
    this.markReady();
    for (const t of this.unsubscribeTimers) clearTimeout(t);
    this.unsubscribeTimers.clear();
    if (c) await c.endAsync(true);
  }

  /** Hand a new subscription the messages that arrived before anyone wanted them. */
  private claim(sub: Sub): void {
    const fresh = Date.now() - (this.options.unclaimedMs ?? 60_000);
    for (const m of this.unclaimed) if (m.at < fresh) m.settled();
    this.unclaimed = this.unclaimed.filter((m) => m.at >= fresh);
    const mine = this.unclaimed.filter((m) => topicMatches(sub.filter, m.topic));
    if (mine.length === 0) return;
    this.unclaimed = this.unclaimed.filter((m) => !mine.includes(m));
    for (const m of mine) {
      this.deliver(sub, m.topic, m.payload, m.retain);
      m.settled();
    }
  }

  private dispatch(topic: string, payload: Buffer, retain: boolean): void {
    let wanted = false;
    for (const sub of this.subs) {
      if (!topicMatches(sub.filter, topic)) continue;
      wanted = true;
      this.deliver(sub, topic, payload, retain);
    }
    if (!wanted) {
      let settled: () => void = () => undefined;
      this.lastClaim = new Promise<void>((resolve) => {
        settled = resolve;
      });
      this.unclaimed.push({ topic, payload, retain, at: Date.now(), settled });
      if (this.unclaimed.length > MAX_UNCLAIMED) {
        const dropped = this.unclaimed.splice(0, this.unclaimed.length - MAX_UNCLAIMED);
        for (const m of dropped) m.settled();
        this.log.warn({ dropped: dropped.length }, 'MQTT messages no subscription claimed were discarded');
      }
    }
  }

  private deliver(sub: Sub, topic: string, payload: Buffer, retain: boolean): void {
    try {
      sub.handler(topic, payload, { retain });
    } catch (err) {
      this.log.error({ owner: sub.owner, topic, err: describeError(err) }, 'MQTT message handler failed');
    }
  }
}
