/**
 * One DC-09 conversation: number the message, stamp it with the receiver's time, send it, and
 * judge the response. ACK must echo our sequence, receiver, line and account (an encrypted
 * message must get an encrypted ACK); NAK carries the receiver's clock, so we adopt its offset
 * and resend at once (a NAK although our clocks agree means it could not read us: a key or
 * account problem). DUH means the receiver could not make sense of the message: usually its key
 * or account setup differs from ours, which the ARC can fix, so it is resent with the outbox's
 * backoff a bounded number of times, then given up and reported. Anything else (timeout,
 * garbage, a mismatched ACK) is a retryable failure. Every result says what the far end did
 * (`outcome`), so the installer's test signal can tell "no answer" from "check the key".
 */

import { describeError } from '../../hub/api/errors.js';
import type { Clock, DeliveryResult, KeyValueStore, Logger } from '../../hub/api/plugin.js';
import { buildFrame, type Dc09Address, type Dc09Id, Dc09KeyError, parseResponse } from './frame.js';
import type { Dc09Transport } from './transport.js';

export interface ClientOptions {
  address: Dc09Address;
  key: Buffer | null;
  transport: Dc09Transport;
  clock: Clock;
  store: KeyValueStore;
  log: Logger;
  /** NAK rounds (clock corrections) allowed within one send. */
  maxNakRounds: number;
  /** DUH answers to one alert that are resent (with backoff) before it fails for good. */
  maxDuhRetries: number;
  /** Called whenever the receiver acknowledges anything: the link is up. */
  onAck?: () => void;
}

/** A NAK whose clock is this close to ours was not about the clock. */
const CLOCK_AGREES_MS = 5_000;

export interface OutgoingMessage {
  id: Dc09Id;
  data: string;
  extended: string[];
  /** Resends of the same alert keep their sequence number (so the receiver can spot duplicates). */
  dedupeKey: string | null;
}

const SEQ_KEY = 'nextSequence';

export class Dc09Client {
  /** Receiver clock minus hub clock, learned from NAKs. */
  offsetMs = 0;
  private nextSeq: number | null = null;
  private readonly seqByKey = new Map<string, number>();
  private readonly duhByKey = new Map<string, number>();

  constructor(private readonly opts: ClientOptions) {}

  private async takeSeq(key: string | null): Promise<number> {
    const known = key ? this.seqByKey.get(key) : undefined;
    if (known !== undefined) return known;
    if (this.nextSeq === null) this.nextSeq = (await this.opts.store.get<number>(SEQ_KEY)) ?? 1;
    const seq = this.nextSeq;
    this.nextSeq = seq >= 9999 ? 1 : seq + 1;
    // Persisted so a restarted hub does not reuse numbers the receiver has just seen.
    await this.opts.store.set(SEQ_KEY, this.nextSeq);
    if (key) this.seqByKey.set(key, seq);
    return seq;
  }

  async send(msg: OutgoingMessage, signal: AbortSignal): Promise<DeliveryResult> {
    const seq = await this.takeSeq(msg.dedupeKey);
    const { address, key, log } = this.opts;
    // Did any NAK carry a clock out of step with ours? If none did, the refusal was not about time.
    let clockWasOff = false;
    let naks = 0;
    for (let round = 0; round <= this.opts.maxNakRounds; round++) {
      const timestamp = new Date(this.opts.clock.now() + this.offsetMs);
      let raw: Buffer;
      try {
        raw = await this.opts.transport.request(
          buildFrame({ id: msg.id, seq, data: msg.data, extended: msg.extended, timestamp }, address, key),
          signal,
        );
      } catch (err) {
        return { ok: false, retryable: true, detail: describeError(err), outcome: 'no_answer' };
      }
      let res: ReturnType<typeof parseResponse>;
      try {
        res = parseResponse(raw, key);
      } catch (err) {
        if (err instanceof Dc09KeyError) {
          log.warn({ seq, err: describeError(err) }, 'receiver reply is not readable with our key; will resend');
          return { ok: false, retryable: true, detail: `wrong key? ${err.message}`, outcome: 'wrong_key' };
        }
        log.warn({ seq, err: describeError(err) }, 'garbled response from the receiver; will resend');
        return { ok: false, retryable: true, detail: `garbled response: ${describeError(err)}`, outcome: 'garbled' };
      }
      if (res.type === 'NAK') {
        if (!res.timestamp) return { ok: false, retryable: true, detail: 'NAK without a usable timestamp', outcome: 'clock' };
        const before = this.offsetMs;
        const offset = res.timestamp.getTime() - this.opts.clock.now();
        naks++;
        // The NAK timestamp has whole seconds: within a few seconds of what we sent, clocks agree.
        if (Math.abs(offset - before) >= CLOCK_AGREES_MS) clockWasOff = true;
        this.offsetMs = offset;
        log.warn(
          { seq, offsetMs: this.offsetMs, previousOffsetMs: before },
          'receiver refused our timestamp (NAK); adopting its clock and resending',
        );
        continue;
      }
      if (res.type === 'DUH') return this.duh(msg, seq);
      const mismatch = this.mismatch(res, seq);
      if (mismatch) {
        log.warn({ seq, mismatch }, 'receiver ACK does not match the message; will resend');
        return { ok: false, retryable: true, detail: `ACK does not match: ${mismatch}`, outcome: 'garbled' };
      }
      if (msg.dedupeKey) {
        this.seqByKey.delete(msg.dedupeKey);
        this.duhByKey.delete(msg.dedupeKey);
      }
      this.opts.onAck?.();
      const corrected = clockWasOff ? ` (after adopting the receiver clock, ${Math.round(this.offsetMs / 1000)} s from ours)` : '';
      return {
        ok: true,
        acknowledged: true,
        detail: `${res.type} seq ${String(seq).padStart(4, '0')}${corrected}`,
        outcome: 'acknowledged',
      };
    }
    if (naks > 0 && !clockWasOff) {
      return {
        ok: false,
        retryable: true,
        detail: 'receiver refused the message (NAK) although our clocks agree: check the key, account and line',
        outcome: key ? 'wrong_key' : 'refused',
      };
    }
    return {
      ok: false,
      retryable: true,
      detail: `receiver kept refusing the timestamp after ${this.opts.maxNakRounds} corrections (clock out of window)`,
      outcome: 'clock',
    };
  }

  /** DUH: resend with backoff until the ARC fixes its side, a bounded number of times. */
  private duh(msg: OutgoingMessage, seq: number): DeliveryResult {
    const what = `receiver did not understand the ${msg.id} message (DUH)${this.opts.key ? ': check the key' : ''}`;
    const outcome = 'wrong_key' as const;
    if (!msg.dedupeKey) return { ok: false, retryable: false, detail: what, outcome };
    const count = (this.duhByKey.get(msg.dedupeKey) ?? 0) + 1;
    if (count > this.opts.maxDuhRetries) {
      this.duhByKey.delete(msg.dedupeKey);
      this.seqByKey.delete(msg.dedupeKey);
      this.opts.log.error({ seq, duh: count }, 'receiver kept answering DUH; giving up on this alert');
      return { ok: false, retryable: false, detail: `${what}; gave up after ${count} DUH answers`, outcome };
    }
    this.duhByKey.set(msg.dedupeKey, count);
    this.opts.log.warn({ seq, duh: count, of: this.opts.maxDuhRetries }, 'receiver answered DUH; will resend');
    return { ok: false, retryable: true, detail: `${what} (${count} of ${this.opts.maxDuhRetries} resends)`, outcome };
  }

  private mismatch(res: ReturnType<typeof parseResponse>, seq: number): string | null {
    const { address, key } = this.opts;
    if (Number(res.seq) !== seq) return `sequence ${res.seq}, sent ${seq}`;
    if (res.account !== address.account.toUpperCase()) return `account ${res.account ?? '(none)'}`;
    if ((res.line ?? '0') !== address.line.toUpperCase()) return `line ${res.line ?? '(none)'}`;
    const wantR = address.receiver?.toUpperCase() ?? null;
    if (wantR !== null && res.receiver !== wantR) return `receiver ${res.receiver ?? '(none)'}`;
    if (key !== null && !res.encrypted) return 'unencrypted ACK to an encrypted message';
    return null;
  }
}
