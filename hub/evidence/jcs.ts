/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for the values evidence files hold: strings,
 * finite numbers, booleans, null, arrays and plain objects. Object keys are sorted by their
 * UTF-16 code units (what JavaScript's default sort does), strings are written as ECMAScript's
 * JSON.stringify writes them (only `"`, `\` and control characters escaped; everything else,
 * é or emoji, as UTF-8) and numbers as ECMAScript's Number-to-string, which is exactly what
 * RFC 8785 section 3.2.2 prescribes. The bytes are UTF-8 without a byte order mark.
 */
import { HubError } from '../api/errors.js';

export class CanonicalJsonError extends HubError {
  constructor(message: string) {
    super('HUB_ERR_EVIDENCE', `cannot write canonical JSON: ${message}`);
  }
}

// With the u flag a surrogate pair is one code point, so this matches unpaired halves only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function serialise(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError(`${path} holds a lone surrogate (not I-JSON)`);
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path} is ${value} (JSON has no such number)`);
      // Number#toString is the ECMAScript algorithm RFC 8785 adopts (-0 becomes "0").
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => serialise(v, `${path}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(`${path} is not a plain object`);
      const obj = value as Record<string, unknown>;
      // Absent optional fields (undefined) are left out, as JSON.stringify does.
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${serialise(obj[k], `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`${path} is a ${typeof value}`);
  }
}

/** The canonical text of `value` (RFC 8785). */
export function canonicalize(value: unknown): string {
  return serialise(value, '$');
}

/** The canonical UTF-8 bytes of `value`: what is hashed and signed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
