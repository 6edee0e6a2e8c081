/**
 * `sia-dc09`: the alarm receiving centre channel. Registers a police channel (`arc`) that sends
 * each alert the consent gate let through as a SIA-DCS (or ADM-CID) message, and sends NULL
 * link tests on a schedule so the ARC notices a hub that has gone silent (unplugged, stolen).
 * While the ARC does not answer it probes more often, and the first ACK after an outage tells
 * the outbox to send what is queued at once.
 */
import { z } from 'zod';
import { describeError } from '../../hub/api/errors.js';
import {
  type AlertChannel,
  type DeliveryResult,
  type Disposer,
  type HubPlugin,
  isLoopbackHost,
  type OutboundAlert,
  type PluginContext,
} from '../../hub/api/index.js';
import { Dc09Client } from './client.js';
import { cidData, codesFor, extendedData, siaData } from './codes.js';
import { keyBits, keyBytes } from './frame.js';
import { Dc09Transport } from './transport.js';

const hexOf = (min: number, max: number) => z.string().regex(new RegExp(`^[0-9A-Fa-f]{${min},${max}}$`), `${min}-${max} hex digits`);

export const siaDc09ConfigSchema = z
  .strictObject({
    /** Off until the installer sets the ARC account (a hub without an ARC still works locally). */
    enabled: z.boolean().default(false),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).nullable().default(null),
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    account: hexOf(3, 16).nullable().default(null),
    receiver: hexOf(1, 6).nullable().default(null),
    line: hexOf(1, 6).default('1'),
    /** AES key (see `keyFormat`); null sends in clear. Never logged, shown back masked. */
    key: z.string().min(1).nullable().default(null),
    /**
     * How the ARC wrote the key: `hex` digits standing for bytes (32/48/64 digits), or `text`
     * whose characters are the key (16/24/32 of them, as pysiaalarm and Home Assistant read it).
     * The key's length picks AES-128, 192 or 256.
     */
    keyFormat: z.enum(['hex', 'text']).default('hex'),
    format: z.enum(['SIA-DCS', 'ADM-CID']).default('SIA-DCS'),
    ackTimeoutMs: z.number().int().min(50).max(60_000).default(5_000),
    /** Seconds between NULL link tests; 0 turns them off. */
    linkTestSeconds: z.number().min(0).max(86_400).default(90),
    /**
     * While the ARC is not answering, a link test this often (seconds) finds out when it is back,
     * and its ACK releases every queued alert at once; 0 waits for the regular link tests.
     */
    outageProbeSeconds: z.number().min(0).max(3600).default(5),
    /**
     * The supervision interval in the ARC contract: the ARC raises a fault when it hears nothing
     * for this long. Link tests must come at least this often. null: the contract sets none.
     */
    supervisionSeconds: z.number().int().min(1).max(90_000).nullable().default(null),
    /** DUH answers to one alert resent (with the outbox's backoff) before it fails for good. */
    duhRetries: z.number().int().min(0).max(20).default(5),
    /**
     * The ARC contract asks for opening/closing reports (CL when the alarm is set, OP when it is
     * unset). They go only when the owner also agreed to them; without this nothing of the kind
     * is sent, whatever she chose.
     */
    openCloseReports: z.boolean().default(false),
    area: z.number().int().min(0).max(999).default(1),
    /** Zone numbers by sensor or camera id; others are numbered in id order (sensors 1-99, cameras 101+). */
    zones: z.record(z.string(), z.number().int().min(0).max(999)).default({}),
  })
  .superRefine((c, ctx) => {
    if (c.key !== null) {
      try {
        keyBytes(c.key, c.keyFormat);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['key'], message: (err as Error).message });
      }
    }
    if (c.supervisionSeconds !== null && (c.linkTestSeconds === 0 || c.linkTestSeconds > c.supervisionSeconds)) {
      ctx.addIssue({
        code: 'custom',
        path: ['linkTestSeconds'],
        message: `the ARC expects a link test at least every ${c.supervisionSeconds} s (its supervision interval)`,
      });
    }
    if (!c.enabled) return;
    if (c.port === null) ctx.addIssue({ code: 'custom', path: ['port'], message: 'set the ARC port to enable the channel' });
    if (c.account === null) ctx.addIssue({ code: 'custom', path: ['account'], message: 'set the ARC account to enable the channel' });
  });

export type SiaDc09Config = z.infer<typeof siaDc09ConfigSchema>;

export const ARC_CHANNEL_ID = 'arc';

export class SiaDc09Plugin implements HubPlugin<SiaDc09Config> {
  readonly id = 'sia-dc09';
  readonly configSchema = siaDc09ConfigSchema;
  private transport: Dc09Transport | null = null;
  private timer: NodeJS.Timeout | null = null;
  private disposers: Disposer[] = [];
  private abort: AbortController | null = null;
  private probe: NodeJS.Timeout | null = null;
  private linkDown: () => void = () => undefined;

  async start(ctx: PluginContext<SiaDc09Config>): Promise<void> {
    const c = ctx.config;
    if (!c.enabled || c.port === null || c.account === null) {
      ctx.health.report('ok', 'no alarm receiving centre configured (channel off)');
      return;
    }
    this.abort = new AbortController();
    const transport = new Dc09Transport({ host: c.host, port: c.port, protocol: c.protocol, timeoutMs: c.ackTimeoutMs, log: ctx.log });
    this.transport = transport;
    const account = c.account.toUpperCase();
    const key = c.key ? keyBytes(c.key, c.keyFormat) : null;
    const cipher = key ? ` (AES-${keyBits(key.length)}, ${c.keyFormat} key)` : '';
    const client = new Dc09Client({
      address: { account, receiver: c.receiver?.toUpperCase() ?? null, line: c.line.toUpperCase() },
      key,
      transport,
      clock: ctx.services.clock,
      store: ctx.store,
      log: ctx.log,
      maxNakRounds: 2,
      maxDuhRetries: c.duhRetries,
      // Any ACK proves the ARC is reachable: alerts waiting out a backoff go now.
      onAck: () => ctx.services.alerts.linkUp(ARC_CHANNEL_ID),
    });
    const zoneNumber = (zone: string | null): number => {
      if (zone === null) return 0;
      const configured = c.zones[zone];
      if (configured !== undefined) return configured;
      const sensors = ctx.services.devices
        .sensors()
        .map((s) => s.id)
        .sort();
      const si = sensors.indexOf(zone);
      if (si >= 0) return Math.min(si + 1, 99);
      const ci = ctx.services.devices
        .cameras()
        .map((s) => s.id)
        .sort()
        .indexOf(zone);
      return ci >= 0 ? 101 + ci : 0;
    };
    const where = `${c.protocol}://${c.host}:${c.port}`;
    // An alert given up on stays a health problem until a later alert or test signal gets through,
    // so the next link test's ACK does not hide it from the installer.
    let givenUp: string | null = null;
    const report = (r: DeliveryResult, what: string, clears: boolean) => {
      if (r.ok && clears) givenUp = null;
      if (r.ok && givenUp === null) ctx.health.report('ok', `${what} acknowledged by ${where}${cipher}`, { outcome: 'acknowledged' });
      else if (r.ok) ctx.health.report('failed', `${givenUp} (${what} acknowledged since)`, { outcome: 'wrong_key' });
      else if (!r.retryable && r.outcome === 'wrong_key') {
        givenUp = `${what} not delivered: ${r.detail}. Check the key and account with the ARC, then send a test signal`;
        ctx.health.report('failed', givenUp, { outcome: r.outcome });
      } else ctx.health.report('degraded', `${what} failed: ${r.detail}`, { outcome: r.outcome ?? 'no_answer' });
    };
    const channel: AlertChannel = {
      id: ARC_CHANNEL_ID,
      police: true,
      destination: `alarm receiving centre ${c.protocol}://${c.host}:${c.port}, account ${account}`,
      offMachine: !isLoopbackHost(c.host),
      deliver: async (alert: OutboundAlert, signal: AbortSignal): Promise<DeliveryResult> => {
        if (alert.kind === 'open_close' && !c.openCloseReports)
          return {
            ok: false,
            retryable: false,
            outcome: 'refused',
            detail: 'the ARC contract takes no opening/closing reports (installer: ARC page), so none was sent',
          };
        const codes = codesFor(alert);
        const restore = alert.phase === 'restore' || codes.cidQualifierRestore === true;
        const zone = zoneNumber(alert.zone);
        const data =
          c.format === 'SIA-DCS'
            ? siaData(account, alert.phase === 'restore' ? codes.siaRestore : codes.sia, zone, c.area)
            : cidData(account, codes.cid, restore, zone, c.area);
        const r = await client.send({ id: c.format, data, extended: extendedData(alert), dedupeKey: alert.alertId }, signal);
        report(r, `${alert.kind} ${alert.phase}`, true);
        if (!r.ok && r.outcome === 'no_answer') this.linkDown();
        return r;
      },
      test: async (signal: AbortSignal) => {
        // A manual test report (SIA RX / Contact ID 601) so the ARC logs the installer's test.
        const data = c.format === 'SIA-DCS' ? siaData(account, 'RX', 0, c.area) : cidData(account, 601, false, 0, c.area);
        const r = await client.send({ id: c.format, data, extended: [], dedupeKey: null }, signal);
        report(r, 'test signal', true);
        return r;
      },
    };
    this.disposers.push(ctx.services.alerts.register(channel));
    ctx.log.info(
      {
        receiver: where,
        account,
        encrypted: key !== null,
        keyFormat: key ? c.keyFormat : null,
        linkTestSeconds: c.linkTestSeconds,
        supervisionSeconds: c.supervisionSeconds,
        openCloseReports: c.openCloseReports,
      },
      'ARC channel ready',
    );
    ctx.health.report('ok', `ARC ${where} account ${account}${cipher}`);
    const signal = this.abort.signal;
    let running = false;
    const linkTest = async () => {
      if (running) return;
      running = true;
      try {
        const r = await client.send({ id: 'NULL', data: '', extended: [], dedupeKey: null }, signal);
        report(r, 'link test', false);
        if (!r.ok) {
          ctx.log.warn({ detail: r.detail }, 'DC-09 link test failed');
          if (r.outcome === 'no_answer') linkDown();
        }
      } catch (err) {
        ctx.log.error({ err: describeError(err) }, 'DC-09 link test crashed');
      } finally {
        running = false;
      }
    };
    // The link is known down: probe until it answers (the ACK releases the queue via onAck).
    const linkDown = () => {
      if (c.outageProbeSeconds === 0 || this.probe !== null || signal.aborted) return;
      this.probe = setTimeout(() => {
        this.probe = null;
        void linkTest();
      }, c.outageProbeSeconds * 1000);
    };
    this.linkDown = linkDown;
    if (c.linkTestSeconds > 0) {
      this.timer = setInterval(() => void linkTest(), c.linkTestSeconds * 1000);
      void linkTest();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.probe) clearTimeout(this.probe);
    this.probe = null;
    this.linkDown = () => undefined;
    this.abort?.abort();
    for (const d of this.disposers.splice(0)) d();
    this.transport?.close();
    this.transport = null;
  }
}

export function siaDc09Plugin(): SiaDc09Plugin {
  return new SiaDc09Plugin();
}
