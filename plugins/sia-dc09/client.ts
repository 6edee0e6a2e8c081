/**
 * One DC-09 conversation: number the message, stamp it with the receiver's time, send it, and
 * judge the response. ACK must echo our sequence, receiver, line and account (an encrypted
 * message must get an encrypted ACK); NAK carries the receiver's clock, so we adopt its offset
 * and resend at once; DUH means the receiver cannot read the message (resending it unchanged
 * would not help). Anything else (timeout, garbage, a mismatched ACK) is a retryable failure:
 * the hub's outbox resends with backoff.
 */

import { describeError } from '../../hub/api/errors.js';
import type { Clock, DeliveryResult, KeyValueStore, Logger } from '../../hub/api/plugin.js';
import { buildFrame, type Dc09Address, type Dc09Id, parseResponse } from './frame.js';
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
}

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
    for (let round = 0; round <= this.opts.maxNakRounds; round++) {
      const timestamp = new Date(this.opts.clock.now() + this.offsetMs);
      let raw: Buffer;
      try {
        raw = await this.opts.transport.request(
          buildFrame({ id: msg.id, seq, data: msg.data, extended: msg.extended, timestamp }, address, key),
          signal,
        );
      } catch (err) {
        return { ok: false, retryable: true, detail: describeError(err) };
      }
      let res: ReturnType<typeof parseResponse>;
      try {
        res = parseResponse(raw, key);
      } catch (err) {
        log.warn({ seq, err: describeError(err) }, 'garbled response from the receiver; will resend');
        return { ok: false, retryable: true, detail: `garbled response: ${describeError(err)}` };
      }
      if (res.type === 'NAK') {
        if (!res.timestamp) return { ok: false, retryable: true, detail: 'NAK without a usable timestamp' };
        const before = this.offsetMs;
        this.offsetMs = res.timestamp.getTime() - this.opts.clock.now();
        log.warn(
          { seq, offsetMs: this.offsetMs, previousOffsetMs: before },
          'receiver refused our timestamp (NAK); adopting its clock and resending',
        );
        continue;
      }
      if (res.type === 'DUH') {
        if (msg.dedupeKey) this.seqByKey.delete(msg.dedupeKey);
        return { ok: false, retryable: false, detail: `receiver did not understand the ${msg.id} message (DUH)` };
      }
      const mismatch = this.mismatch(res, seq);
      if (mismatch) {
        log.warn({ seq, mismatch }, 'receiver ACK does not match the message; will resend');
        return { ok: false, retryable: true, detail: `ACK does not match: ${mismatch}` };
      }
      if (msg.dedupeKey) this.seqByKey.delete(msg.dedupeKey);
      return { ok: true, acknowledged: true, detail: `${res.type} seq ${String(seq).padStart(4, '0')}` };
    }
    return { ok: false, retryable: true, detail: `receiver kept refusing the timestamp after ${this.opts.maxNakRounds} corrections` };
  }

  private mismatch(res: ReturnType<typeof parseResponse>, seq: number): string | null {
    const { address, key } = this.opts;
    if (Number(res.seq) !== seq) return `sequence ${res.seq}, sent ${seq}`;
    if (res.account !== address.account.toUpperCase()) return `account ${res.account ?? '(none)'}`;
    if ((res.line ?? '0') !== address.line.toUpperCase()) return `line ${res.line ?? '(none)'}`;
    const wantR = address.receiver?.toUpperCase() ?? null;
    if (wantR !== null && res.receiver !== wantR) return `receiver ${res.receiver ?? '(none)'}`;
    if (key !== null && !res.encrypted) return 'unencrypted ACK to an encrypted message';
    if (key !== null && !res.content.includes(']')) return 'encrypted ACK content is not readable with our key';
    return null;
  }
}
