/** RFC 8785 (JCS) against the RFC's own examples, and the custody hash rule it now states. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entryHash } from '../../../hub/audit/audit-log.js';
import { CanonicalJsonError, canonicalBytes, canonicalize } from '../../../hub/evidence/jcs.js';

const double = (hex: string) => Buffer.from(hex, 'hex').readDoubleBE(0);

describe('canonical JSON (RFC 8785)', () => {
  it('writes the sample of RFC 8785 section 3.2.2 exactly', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units as in RFC 8785 section 3.2.3', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",' +
        ' "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    );
    // (Object.keys would list "1" first, as integer-like: the order is read from the text.)
    const keys = [...canonicalize(input).matchAll(/"([^"]*)":"[^"]*"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    expect(keys).toEqual(['\r', '1', '\u0080', 'ö', '€', '😀', '\ufb33']);
    // U+0080 is not a control character JSON must escape: it is written as UTF-8 (C2 80).
    expect(canonicalBytes(input).includes(Buffer.from([0x22, 0xc2, 0x80, 0x22]))).toBe(true);
  });

  it('formats numbers as RFC 8785 appendix B lists them', () => {
    const cases: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['41b3de4355555553', '333333333.3333332'],
    ];
    for (const [hex, text] of cases) expect(canonicalize(double(hex)), hex).toBe(text);
  });

  it('writes non-ASCII text as UTF-8, unescaped', () => {
    const name = "Zoë Ó'Brien";
    expect(canonicalize({ officerName: name, z: 1, a: [true, null] })).toBe(`{"a":[true,null],"officerName":"Zoë Ó'Brien","z":1}`);
    expect(canonicalBytes({ n: name }).toString('hex')).toBe(Buffer.from(`{"n":"Zoë Ó'Brien"}`, 'utf8').toString('hex'));
    expect(canonicalBytes({ n: 'ë' }).subarray(6, 8)).toEqual(Buffer.from([0xc3, 0xab]));
  });

  it('refuses what JSON cannot hold instead of writing something else', () => {
    expect(() => canonicalize({ x: Number.NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalize([Number.POSITIVE_INFINITY])).toThrow(/\$\[0\] is Infinity/);
    expect(() => canonicalize({ d: new Date(0) })).toThrow(/not a plain object/);
    expect(() => canonicalize('\ud800')).toThrow(/lone surrogate/);
    expect(canonicalize('😀')).toBe('"😀"');
  });

  it('is the rule the audit chain hashes with: SHA-256 of the JCS bytes of the six fields', () => {
    const e = {
      seq: 7,
      ts: 1741986000000,
      action: 'request.created',
      actor: null,
      subject: { officerName: "Zoë Ó'Brien", cameraIds: ['front'], nested: { b: 1, a: 0.5 } },
      prevHash: 'a'.repeat(64),
    };
    const jcs = createHash('sha256').update(canonicalBytes(e)).digest('hex');
    expect(entryHash(e)).toBe(jcs);
  });
});
