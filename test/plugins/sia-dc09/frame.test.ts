import { describe, expect, it } from 'vitest';
import { cidData, extendedData, siaData } from '../../../plugins/sia-dc09/codes.js';
import { crc16Arc, hex4 } from '../../../plugins/sia-dc09/crc.js';
import {
  buildFrame,
  Dc09KeyError,
  decryptContent,
  encryptContent,
  keyBits,
  keyBytes,
  parseResponse,
  parseTimestamp,
} from '../../../plugins/sia-dc09/frame.js';
import { referenceCrc } from '../../helpers/dc09-receiver.js';

const VECTOR = '"SIA-DCS"9876R579BDFL789ABC#12345A[#12345A|NFA129]';

describe('DC-09 framing', () => {
  it('computes the CRC and length of the issue test vector (CE11, 0032)', () => {
    expect(hex4(crc16Arc(VECTOR))).toBe('CE11');
    expect(hex4(VECTOR.length)).toBe('0032');
    // The test receiver's independent table-driven CRC agrees.
    expect(referenceCrc(VECTOR)).toBe('CE11');
  });

  it('builds a frame whose header matches the vector', () => {
    const frame = buildFrame(
      { id: 'SIA-DCS', seq: 9876, data: '#12345A|NFA129', extended: [], timestamp: new Date(Date.UTC(2025, 0, 31, 2, 13, 5)) },
      { account: '12345A', receiver: '579BDF', line: '789ABC' },
      null,
    ).toString('latin1');
    expect(frame.startsWith('\n')).toBe(true);
    expect(frame.endsWith('\r')).toBe(true);
    const body = frame.slice(9, -1);
    expect(body).toBe(`${VECTOR}_02:13:05,01-31-2025`);
    expect(frame.slice(1, 5)).toBe(referenceCrc(body));
    expect(Number.parseInt(frame.slice(5, 9), 16)).toBe(body.length);
  });

  it('encrypts with AES-CBC and zero IV so that the content follows the pad and `|`', () => {
    const key = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    const plain = '#1234|Nri1/PA000]_02:13:05,01-31-2025';
    const hex = encryptContent(plain, key);
    expect(hex.length % 32).toBe(0);
    expect(decryptContent(hex, key)).toBe(plain);
  });

  it('rejects a response with a bad CRC and reads a NAK timestamp', () => {
    expect(() => parseResponse(Buffer.from('\n00000014"ACK"0001L1#1234[]\r'), null)).toThrow(/CRC/);
    const body = '"NAK"0000R0L0A0[]_10:20:30,12-24-2024';
    const nak = parseResponse(Buffer.from(`\n${referenceCrc(body)}${hex4(body.length)}${body}\r`), null);
    expect(nak.type).toBe('NAK');
    expect(nak.timestamp?.toISOString()).toBe('2024-12-24T10:20:30.000Z');
    expect(parseTimestamp('garbage')).toBeNull();
  });

  it('writes SIA and Contact ID data and adds location only when the alert carries it', () => {
    expect(siaData('1234', 'PA', 0)).toBe('#1234|Nri1/PA000');
    expect(cidData('1234', 130, false, 3)).toBe('#1234|1130 01 003');
    const base = {
      alertId: 'a',
      kind: 'panic' as const,
      phase: 'alarm' as const,
      createdAt: 0,
      zone: null,
      text: 'Panic',
      snapshotUrl: null,
      clipUrl: null,
    };
    expect(extendedData({ ...base, location: null, coordinates: null })).toEqual([]);
    expect(extendedData({ ...base, location: '1 Example St [flat 2]', coordinates: { lat: 51.5007, lon: -0.1246 } })).toEqual([
      'S1 Example St  flat 2',
      'X-0.124600',
      'Y51.500700',
    ]);
  });
});

describe('DC-09 responses and keys as receivers write them', () => {
  const frameOf = (body: string) => Buffer.from(`\n${referenceCrc(body)}${hex4(body.length)}${body}\r`, 'latin1');

  it("reads header fields in any order: R/L/# and pysiaalarm's L before R, with A0 for no account", () => {
    const nak = parseResponse(frameOf('"NAK"0000L0R0A0[]_10:20:30,12-24-2024'), null);
    expect(nak).toMatchObject({ type: 'NAK', line: '0', receiver: '0', account: null });
    expect(nak.timestamp?.toISOString()).toBe('2024-12-24T10:20:30.000Z');
    const ack = parseResponse(frameOf('"ACK"0042L3R12#1234AB[]'), null);
    expect(ack).toMatchObject({ type: 'ACK', seq: '0042', line: '3', receiver: '12', account: '1234AB' });
    const duh = parseResponse(frameOf('"DUH"0042#1234ABL3[]'), null);
    expect(duh).toMatchObject({ type: 'DUH', line: '3', receiver: null, account: '1234AB' });
    expect(() => parseResponse(frameOf('"ACK"0042L3L4#1234[]'), null)).toThrow(/repeats/);
    expect(() => parseResponse(frameOf('"ACK"0042X9#1234[]'), null)).toThrow(/not R, L, # or A/);
  });

  it('takes a key as hex digits or as its characters, and says which AES it implies', () => {
    expect(keyBytes('00112233445566778899AABBCCDDEEFF', 'hex')).toHaveLength(16);
    expect(keyBytes('0123456789ABCDEF', 'text').toString('latin1')).toBe('0123456789ABCDEF');
    expect(keyBits(keyBytes('0123456789ABCDEF01234567', 'text').length)).toBe(192);
    expect(keyBits(keyBytes('0123456789ABCDEF0123456789ABCDEF', 'text').length)).toBe(256);
    expect(keyBits(keyBytes('0123456789ABCDEF0123456789ABCDEF', 'hex').length)).toBe(128);
    expect(() => keyBytes('0123456789ABCDEF', 'hex')).toThrow(/32, 48 or 64 hex digits/);
    expect(() => keyBytes('short', 'text')).toThrow(/16, 24 or 32/);
    expect(() => keyBytes('0123456789ABCDE ', 'text')).toThrow(/printable/);
  });

  it('an encrypted reply that does not decrypt with our key is a key error, not garble', () => {
    const ours = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    const theirs = Buffer.from('FFEEDDCCBBAA99887766554433221100', 'hex');
    const body = `"*ACK"0001L1#1234[${encryptContent(']_10:20:30,12-24-2024', theirs)}`;
    expect(() => parseResponse(frameOf(body), ours)).toThrow(Dc09KeyError);
    const good = `"*ACK"0001L1#1234[${encryptContent(']_10:20:30,12-24-2024', ours)}`;
    expect(parseResponse(frameOf(good), ours)).toMatchObject({ type: 'ACK', encrypted: true, content: ']_10:20:30,12-24-2024' });
  });
});
