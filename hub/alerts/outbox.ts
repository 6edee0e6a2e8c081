/**
 * The alert outbox: the consent gate and the durable queue in one place. `raise` asks the policy
 * about every channel, writes the alert (with the decision and what was attached) before anything
 * is sent, then hands deliveries to the worker. Police channels: `automatic` queues at once; `ask`
 * waits for the victim's one tap, and expires (nothing sent) when unanswered; `never` keeps it at
 * home. Every other channel gets only the kinds the owner switched it on for, and never a silent
 * panic or a duress alert.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../api/errors.js';
import type { AlertKind, AlertStatus } from '../api/events.js';
import type { OutboundAlert } from '../api/plugin.js';
import type { ConsentModule } from '../consent/consent-module.js';
import { ROUTINE_KINDS, type Share } from '../consent/settings.js';
import type { HubCore } from '../core.js';
import type { ChannelDecision } from '../policy/policy.js';
import { SerialQueue } from '../storage/serial-queue.js';
import { policeExtras, RecentClips } from './attachments.js';
import type { AlertsConfig } from './config.js';
import { DeliveryWorker } from './delivery-worker.js';
import { type AlertRow, type DeliveryRow, OutboxStore } from './outbox-store.js';
import { type LinkGrant, VerificationLinks } from './verification-links.js';

export interface RaiseInput {
  kind: AlertKind;
  /** A covert panic (duress is always silent). */
  silent?: boolean;
  phase: 'alarm' | 'restore';
  zone: string | null;
  text: string;
  correlationId: string;
}

/** A one-off "tell the police now" is for an alarm going on, not last week's. */
const ONE_OFF_MAX_AGE_MS = 60 * 60_000;

/** Conditions that stay open until restored: a second alarm while open is not a new alert. */
const CONDITIONS: ReadonlySet<AlertKind> = new Set(['tamper', 'link_loss']);

export class Outbox {
  readonly store: OutboxStore;
  readonly worker: DeliveryWorker;
  readonly clips = new RecentClips();
  readonly links: VerificationLinks;
  private readonly askTimers = new Map<string, NodeJS.Timeout>();
  private readonly raises = new SerialQueue();

  /** Settles once the raise queue reaches it (the watchdog's liveness probe). */
  alive(): Promise<void> {
    return this.raises.run(() => undefined);
  }
  private stopped = false;

  constructor(
    private readonly core: HubCore,
    private readonly consent: ConsentModule,
    private readonly config: AlertsConfig,
  ) {
    this.store = new OutboxStore(core.db);
    this.links = new VerificationLinks(core.db, config.verificationLinkMinutes * 60_000);
    // Alert channels are plugins, which start after the hub's modules. An alert raised in that
    // window (a panic pressed while the hub boots, an alarm restored after a reboot) waits until
    // the hub has started, so it is routed to every channel instead of failing for want of one.
    this.raises.run(
      () =>
        new Promise<void>((resolve) => {
          const off = core.bus.on('hub.started', 'alerts-outbox', () => {
            off();
            resolve();
          });
        }),
    );
    const log = core.log.child({ module: 'alerts' });
    this.worker = new DeliveryWorker(this.store, core.alertChannels, config, () => core.clock.now(), log, {
      changed: (alertId, channel, status, detail) => this.deliveryChanged(alertId, channel, status, detail),
    });
  }

  /** Resume after a restart: expire unanswered asks that ran out, re-arm the others, resend pending. */
  async resume(): Promise<void> {
    for (const a of await this.store.awaitingConsent()) this.armAskTimer(a.id, a.ask_expires_at ?? 0);
    await this.worker.kickAll();
  }

  private now(): number {
    return this.core.clock.now();
  }

  /** Raise an alert. Serialised so restores always see the alarm they close. */
  raise(input: RaiseInput): Promise<AlertRow | null> {
    return this.raises.run(() => this.doRaise(input));
  }

  private async doRaise(input: RaiseInput): Promise<AlertRow | null> {
    if (this.stopped) return null;
    const now = this.now();
    const silent = input.kind === 'duress' || input.silent === true;
    const previous = await this.store.latestFor(input.kind, input.zone);
    if (input.phase === 'restore' && previous?.phase !== 'alarm') return null;
    if (input.phase === 'alarm' && CONDITIONS.has(input.kind) && previous?.phase === 'alarm') return null;
    const consentVersion = (await this.consent.decision(input.kind)).version;
    const id = randomUUID();
    const base: OutboundAlert = {
      alertId: id,
      kind: input.kind,
      phase: input.phase,
      createdAt: now,
      zone: input.zone,
      location: null,
      coordinates: null,
      snapshotUrl: null,
      clipUrl: null,
      text: input.text,
    };
    const clip = this.clips.near(now);
    // Verification links are written before the alert that carries them, and only for a
    // destination the policy lets it go to (withExtras is called only then).
    const issue = (clipId: string, grant: LinkGrant) => this.links.issue(id, clipId, grant, silent, now);
    const withExtras = async (share: Share, links: boolean) => {
      const x = await policeExtras(share, this.core.config.home, this.config.publicBaseUrl, clip, links ? issue : null);
      return { payload: { ...base, location: x.location, coordinates: x.coordinates, snapshotUrl: x.snapshotUrl, clipUrl: x.clipUrl }, x };
    };
    // The policy decides per destination: the table first, then the owner's consent for it.
    const deliveries: Array<{ channel: string; police: boolean; payload?: OutboundAlert }> = [];
    const police: Array<{ id: string; decision: ChannelDecision }> = [];
    const previousChannels =
      input.phase === 'restore' && previous ? new Set((await this.store.deliveries(previous.id)).map((d) => d.channel)) : null;
    for (const channel of this.core.alertChannels.list()) {
      // A restore follows its alarm: it goes where the alarm went, and nowhere else.
      if (previousChannels && !previousChannels.has(channel.id)) continue;
      let asked = this.core.policy.channelDecision(channel, { kind: input.kind, silent });
      // A silent alert cannot ask on screen (the panic became silent after "ask" was chosen).
      if (silent && asked.mode === 'ask')
        asked = {
          mode: 'no',
          share: asked.share,
          reason: 'a silent panic cannot ask you on screen, so nothing was sent: choose automatic or never',
        };
      // The victim already said yes to the alarm this restore closes.
      const decision: ChannelDecision = previousChannels && asked.mode === 'ask' ? { ...asked, mode: 'send' } : asked;
      if (channel.police) police.push({ id: channel.id, decision });
      else if (decision.mode === 'send')
        deliveries.push({ channel: channel.id, police: false, payload: (await withExtras(decision.share, true)).payload });
    }
    const sending = police.filter((p) => p.decision.mode === 'send');
    const asking = police.filter((p) => p.decision.mode === 'ask');
    // A routine report (opening/closing) that no destination takes is not an alert at all: the
    // arm or disarm itself is in the audit chain, and the owner's list is not filled with refusals.
    if (ROUTINE_KINDS.has(input.kind) && sending.length === 0 && deliveries.length === 0) return null;
    const policeShare = (sending[0] ?? asking[0])?.decision.share ?? { location: false, snapshot: false, clipLink: false };
    const policeGoes = sending.length > 0 || (asking.length > 0 && input.phase === 'alarm');
    const { payload: policePayload, x: extras } = await withExtras(policeShare, policeGoes);
    let status: AlertStatus;
    let detail: string;
    let mode: string;
    let askExpiresAt: number | null = null;
    if (sending.length > 0) {
      status = 'queued';
      mode = 'automatic';
      detail = 'sending to police';
      deliveries.push(...sending.map((p) => ({ channel: p.id, police: true })));
    } else if (asking.length > 0 && input.phase === 'alarm') {
      status = 'awaiting_consent';
      mode = 'ask';
      askExpiresAt = now + this.config.askTimeoutSeconds * 1000;
      detail = `waiting for you: tap send within ${this.config.askTimeoutSeconds} s, or nothing is sent`;
    } else {
      status = 'refused';
      mode = 'never';
      detail =
        input.phase === 'restore'
          ? 'the alarm was not sent to police, so its end is not either'
          : police.length === 0
            ? 'no police channel (alarm receiving centre) is set up: police were not told'
            : (police[0]?.decision.reason ?? 'police were not told');
    }
    await this.store.insert(
      {
        id,
        kind: input.kind,
        phase: input.phase,
        zone: input.zone,
        text: input.text,
        correlationId: input.correlationId,
        createdAt: now,
        consentMode: mode,
        consentVersion,
        silent,
        attached: mode === 'never' ? { location: false, coordinates: false, snapshot: false, clipLink: false, notes: [] } : extras.attached,
        policePayload,
        localPayload: base,
        status,
        detail,
        askExpiresAt,
      },
      deliveries,
    );
    this.core.log.info(
      { alertId: id, kind: input.kind, phase: input.phase, consent: mode, status, channels: deliveries.map((d) => d.channel) },
      'alert raised',
    );
    // Announced for every alert, silent ones included (the audit chain keeps them); the policy
    // keeps a silent one off every surface someone nearby could see.
    this.core.bus.emit('alert.raised', {
      source: 'alerts',
      correlationId: input.correlationId,
      alertId: id,
      kind: input.kind,
      status,
      silent,
    });
    if (askExpiresAt !== null) this.armAskTimer(id, askExpiresAt);
    for (const d of deliveries) this.worker.kick(d.channel);
    return (await this.store.alert(id)) ?? null;
  }

  private armAskTimer(alertId: string, at: number): void {
    const t = setTimeout(
      () => {
        this.askTimers.delete(alertId);
        this.expire(alertId).catch((err: unknown) =>
          this.core.log.error({ alertId, err: String(err) }, 'could not expire an unanswered alert'),
        );
      },
      Math.max(0, at - this.now()),
    );
    this.askTimers.set(alertId, t);
  }

  private async expire(alertId: string): Promise<void> {
    const a = await this.store.alert(alertId);
    if (a?.status !== 'awaiting_consent') return;
    const detail = 'you did not answer in time: nothing was sent';
    await this.store.setStatus(alertId, 'expired', detail, this.now());
    this.statusEvent(a, null, 'expired', detail);
  }

  /**
   * The "ask me first" question reached one of her devices (the push service accepted it): her
   * time to answer starts now, not when the alert was raised. Only ever lengthens the wait.
   */
  async askDelivered(alertId: string, at: number): Promise<void> {
    const a = await this.store.alert(alertId);
    if (a?.status !== 'awaiting_consent') return;
    const expires = at + this.config.askTimeoutSeconds * 1000;
    if ((a.ask_expires_at ?? 0) >= expires) return;
    await this.store.setAskExpiry(alertId, expires, at);
    clearTimeout(this.askTimers.get(alertId));
    if (!this.stopped) this.armAskTimer(alertId, expires);
  }

  /** The victim's one tap: send an `ask` alert to police now. */
  async send(alertId: string, userId: string): Promise<AlertRow> {
    const a = await this.store.alert(alertId);
    if (!a) throw new NotFoundError('alert');
    if (a.status !== 'awaiting_consent')
      throw new ConflictError(`this alert is ${a.status}; it can no longer be sent`, { status: a.status });
    if ((a.ask_expires_at ?? 0) <= this.now()) {
      await this.expire(alertId);
      throw new ConflictError('this alert expired before you answered; nothing was sent', { status: 'expired' });
    }
    clearTimeout(this.askTimers.get(alertId));
    this.askTimers.delete(alertId);
    // Asked again at the moment of the tap: a channel switched off meanwhile hears nothing.
    const police = this.core.alertChannels
      .list()
      .filter((c) => c.police && this.core.policy.channelDecision(c, { kind: a.kind, silent: a.silent === 1 }).mode !== 'no')
      .map((c) => c.id);
    const [status, detail]: [AlertStatus, string] =
      police.length > 0
        ? ['queued', 'you said send: sending to police']
        : ['failed', 'you said send, but no police channel is switched on'];
    await this.store.addDeliveries(alertId, police, this.now(), status, detail, userId);
    await this.core.audit.append({ action: 'alert.consented', actor: userId, subject: { alertId, kind: a.kind } });
    this.statusEvent(a, null, status, detail);
    for (const c of police) this.worker.kick(c);
    return (await this.store.alert(alertId)) as AlertRow;
  }

  /**
   * "Tell the police now" when her standing choice kept this alert at home: a consent given on the
   * spot for this alert and this police destination only. The policy decides with it (a silent
   * alert stays where the table puts it), the consent module audits it, and the delivery goes
   * through the durable outbox like any other.
   */
  async sendOnce(alertId: string, channelId: string, destination: string, who: { userId: string; sessionId: string }): Promise<AlertRow> {
    const a = await this.store.alert(alertId);
    if (!a) throw new NotFoundError('alert');
    if (a.phase !== 'alarm') throw new ConflictError('only an alarm can be sent to the police, not its end', { phase: a.phase });
    if (a.status === 'awaiting_consent')
      throw new ConflictError('this alert is waiting for your answer: use send (POST /api/alerts/:id/send)', { status: a.status });
    if (a.status !== 'refused' && a.status !== 'expired')
      throw new ConflictError(`this alert is ${a.status}; it was already sent or is being sent`, { status: a.status });
    if (this.now() - a.created_at > ONE_OFF_MAX_AGE_MS)
      throw new ConflictError('this alarm is more than an hour old: call 999, or 101 if it is not an emergency', { status: a.status });
    const channel = this.core.alertChannels.get(channelId);
    if (!channel?.police) throw new NotFoundError(`police channel "${channelId}"`);
    if ((await this.store.deliveries(alertId)).some((d) => d.channel === channelId))
      throw new ConflictError(`this alert already went to ${channelId}`, { channel: channelId });
    const oneOff = { alertId, channelId, destination };
    const decision = this.core.policy.channelDecision(channel, { kind: a.kind, silent: a.silent === 1, alertId, oneOff });
    if (decision.mode !== 'send') throw new ConflictError(decision.reason, { channel: channelId });
    await this.consent.recordOneOff(oneOff, { kind: a.kind }, who);
    const detail = `you said send, this once: sending to ${channelId}`;
    await this.store.addDeliveries(alertId, [channelId], this.now(), 'queued', detail, who.userId);
    this.statusEvent(a, null, 'queued', detail);
    this.worker.kick(channelId);
    return (await this.store.alert(alertId)) as AlertRow;
  }

  async dismiss(alertId: string, userId: string): Promise<AlertRow> {
    const a = await this.store.alert(alertId);
    if (!a) throw new NotFoundError('alert');
    if (a.status !== 'awaiting_consent')
      throw new ConflictError(`this alert is ${a.status}; there is nothing to dismiss`, { status: a.status });
    clearTimeout(this.askTimers.get(alertId));
    this.askTimers.delete(alertId);
    const detail = 'you chose not to tell the police';
    await this.store.setStatus(alertId, 'refused', detail, this.now(), userId);
    await this.core.audit.append({ action: 'alert.dismissed', actor: userId, subject: { alertId, kind: a.kind } });
    this.statusEvent(a, null, 'refused', detail);
    return (await this.store.alert(alertId)) as AlertRow;
  }

  /** The alert's status follows its police deliveries (the victim's question is "were police told?"). */
  private async deliveryChanged(alertId: string, channel: string, delivery: DeliveryRow['status'], detail: string): Promise<void> {
    const a = await this.store.alert(alertId);
    if (!a) return;
    const police = (await this.store.deliveries(alertId)).filter((d) => d.police === 1);
    let status: AlertStatus = a.status;
    if (police.length > 0) {
      const order: DeliveryRow['status'][] = ['acknowledged', 'sent', 'sending', 'failed', 'queued'];
      status = order.find((s) => police.some((d) => d.status === s)) ?? a.status;
    }
    if (status !== a.status) await this.store.setStatus(alertId, status, `${channel}: ${detail}`, this.now());
    this.statusEvent(a, channel, status, `${channel} ${delivery}: ${detail}`);
  }

  private statusEvent(a: AlertRow, channel: string | null, status: AlertStatus, detail: string): void {
    this.core.bus.emit('alert.status_changed', {
      silent: a.silent === 1,
      source: 'alerts',
      correlationId: a.correlation_id,
      alertId: a.id,
      kind: a.kind,
      channel,
      status,
      detail,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.askTimers.values()) clearTimeout(t);
    this.askTimers.clear();
    await this.raises.idle();
    await this.worker.stop();
  }
}
