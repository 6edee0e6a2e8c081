/**
 * Moves deliveries from the outbox to their channels: per channel, the oldest unfinished delivery
 * first and one at a time (so alerts arrive in order), resending with exponential backoff until
 * the channel acknowledges. State is in SQLite at every step, so a restart resumes where it was;
 * a delivery caught mid-send by a crash is sent again.
 *
 * Backoff only holds while the link is known to be down: when the channel reports its far end
 * reachable again (a link test or any message acknowledged), what is waiting goes at once. A
 * panic must not sit out a minute of backoff after the ARC has answered a dozen link tests.
 */
import { describeError } from '../api/errors.js';
import type { DeliveryResult, Logger, OutboundAlert } from '../api/plugin.js';
import type { AlertChannelRegistry } from './channels.js';
import type { AlertsConfig } from './config.js';
import { KeyedDrains } from './keyed-drains.js';
import type { DeliveryRow, OutboxStore } from './outbox-store.js';

export interface WorkerHooks {
  /** Called after each delivery state change (the outbox recomputes the alert's status). */
  changed(alertId: string, channel: string, delivery: DeliveryRow['status'], detail: string): Promise<void>;
}

export class DeliveryWorker {
  private readonly drains = new KeyedDrains(
    (channel) => this.drain(channel),
    (channel, err) => {
      // A database error mid-drain: log it and try again shortly; the rows are still there.
      this.log.error({ channel, err: describeError(err) }, 'alert delivery loop failed; retrying');
      return this.config.retryInitialMs;
    },
  );
  private readonly abort = new AbortController();
  private stopped = false;
  /** Per channel, how many times its link was reported up; each failure remembers the count it saw. */
  private readonly linkUps = new Map<string, number>();
  private readonly failedAtLinkUps = new Map<number, number>();

  constructor(
    private readonly store: OutboxStore,
    private readonly channels: AlertChannelRegistry,
    private readonly config: AlertsConfig,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly hooks: WorkerHooks,
  ) {}

  /** Start (or nudge) the channel's queue. Safe to call any time, any number of times. */
  kick(channel: string): void {
    this.drains.kick(channel);
  }

  /**
   * The channel's far end just acknowledged something: a delivery that failed before this (and
   * is waiting out its backoff) is sent now instead of at its scheduled time.
   */
  linkUp(channel: string): void {
    if (this.stopped) return;
    this.linkUps.set(channel, (this.linkUps.get(channel) ?? 0) + 1);
    // Nothing waiting out a backoff: nothing to do (or the loop is mid-send and will look again).
    if (this.drains.release(channel)) this.log.info({ channel }, 'channel link is up: sending queued alerts now');
  }

  /** A failed delivery waits out its backoff only if no link-up was reported since it failed. */
  private released(channel: string, seq: number): boolean {
    const seen = this.failedAtLinkUps.get(seq);
    // After a restart nothing is remembered: the next link-up releases everything that waits.
    return (this.linkUps.get(channel) ?? 0) > (seen ?? 0);
  }

  async kickAll(): Promise<void> {
    for (const c of await this.store.pendingChannels()) this.kick(c);
  }

  private schedule(channel: string, delayMs: number): void {
    this.drains.schedule(channel, delayMs);
  }

  backoffMs(attempts: number): number {
    const ms = this.config.retryInitialMs * 2 ** Math.max(0, attempts - 1);
    return Math.min(ms, this.config.retryMaxSeconds * 1000);
  }

  private async drain(channelId: string): Promise<void> {
    while (!this.stopped) {
      const row = await this.store.nextPending(channelId);
      if (!row) return;
      const wait = (row.next_attempt_at ?? 0) - this.now();
      if (row.status === 'failed' && wait > 0 && !this.released(channelId, row.seq)) {
        this.schedule(channelId, wait);
        return;
      }
      const channel = this.channels.get(channelId);
      if (!channel) {
        // The plugin has not registered (yet): the registry's onRegister hook kicks us again.
        return;
      }
      const alert = await this.store.alert(row.alert_id);
      if (!alert) throw new Error(`delivery ${row.seq} refers to a missing alert ${row.alert_id}`);
      const payload = JSON.parse(row.payload ?? (row.police === 1 ? alert.police_payload : alert.local_payload)) as OutboundAlert;
      await this.store.markSending(row.seq, this.now());
      await this.hooks.changed(row.alert_id, channelId, 'sending', `attempt ${row.attempts + 1}`);
      const result = await this.attempt(channelId, payload, (d) => channel.deliver(payload, d));
      if (this.stopped && !result.ok) return; // stays `sending`: resumed and resent at the next start
      if (result.ok) {
        this.failedAtLinkUps.delete(row.seq);
        await this.store.markDone(row.seq, result.acknowledged, result.detail, this.now());
        await this.hooks.changed(row.alert_id, channelId, result.acknowledged ? 'acknowledged' : 'sent', result.detail);
        this.log.info({ alertId: row.alert_id, channel: channelId, kind: alert.kind, attempts: row.attempts + 1 }, 'alert delivered');
        continue;
      }
      if (result.retryable) this.failedAtLinkUps.set(row.seq, this.linkUps.get(channelId) ?? 0);
      else this.failedAtLinkUps.delete(row.seq);
      const next = result.retryable ? this.now() + this.backoffMs(row.attempts + 1) : null;
      await this.store.markFailed(row.seq, result.detail, this.now(), next);
      await this.hooks.changed(row.alert_id, channelId, 'failed', result.detail);
      this.log.warn(
        {
          alertId: row.alert_id,
          channel: channelId,
          attempts: row.attempts + 1,
          detail: result.detail,
          retryInMs: next === null ? null : next - this.now(),
        },
        result.retryable ? 'alert delivery failed; will resend' : 'alert delivery failed for good',
      );
    }
  }

  /** One bounded attempt; a throwing channel counts as a retryable failure, never a crash. */
  async attempt(
    channelId: string,
    alert: OutboundAlert | null,
    send: (signal: AbortSignal) => Promise<DeliveryResult>,
  ): Promise<DeliveryResult> {
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => ctl.abort(), this.config.attemptTimeoutSeconds * 1000);
    try {
      return await send(ctl.signal);
    } catch (err) {
      this.log.error({ channel: channelId, alertId: alert?.alertId ?? null, err: describeError(err) }, 'alert channel threw');
      return { ok: false, retryable: true, detail: ctl.signal.aborted ? 'attempt timed out' : describeError(err) };
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onStop);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.drains.stop();
  }
}
