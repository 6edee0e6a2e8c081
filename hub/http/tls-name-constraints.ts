/**
 * Name constraints for the hub's own certificate authority. A phone that trusts the hub's CA
 * would otherwise trust anything its key signs; if the abuser steals the hub, that key could
 * impersonate any website to the victim's phone. So the CA may only vouch for local names
 * (`.local`, `localhost`, the hub's host name and configured extra names) and private or
 * loopback addresses (RFC 5280 name constraints, critical; Chrome, Android, iOS and OpenSSL
 * enforce them). Server certificates only ever carry names inside these.
 */

import { createRequire } from 'node:module';
import { isIP } from 'node:net';

const forge = createRequire(import.meta.url)('node-forge') as typeof import('node-forge');

/** Private, loopback and link-local ranges, as [address, prefix length]. */
const PRIVATE_RANGES: Array<[string, number]> = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::1', 128],
];

function ipBytes(ip: string): number[] {
  if (isIP(ip) === 4) return ip.split('.').map(Number);
  // Expand "::" and read eight 16-bit groups.
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => Number.parseInt(g || '0', 16));
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

function maskBytes(length: number, prefix: number): number[] {
  return Array.from({ length }, (_, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return (0xff << (8 - bits)) & 0xff;
  });
}

function inRange(ip: string, [base, prefix]: [string, number]): boolean {
  if (isIP(ip) !== isIP(base)) return false;
  const a = ipBytes(ip);
  const b = ipBytes(base);
  const m = maskBytes(a.length, prefix);
  return a.every((byte, i) => (byte & (m[i] ?? 0)) === ((b[i] ?? 0) & (m[i] ?? 0)));
}

/** The DNS names the CA may vouch for (each also covers its subdomains). */
export function permittedDnsNames(hostName: string, extra: readonly string[]): string[] {
  const names = new Set(['local', 'localhost']);
  if (hostName) names.add(hostName.toLowerCase());
  for (const e of extra) if (!isIP(e)) names.add(e.toLowerCase());
  return [...names].sort();
}

/** Whether a certificate name lies inside the CA's constraints. */
export function permittedName(name: string, dns: readonly string[], extraIps: readonly string[] = []): boolean {
  const n = name.toLowerCase();
  if (isIP(n)) return PRIVATE_RANGES.some((r) => inRange(n, r)) || extraIps.includes(n);
  return dns.some((d) => n === d || n.endsWith(`.${d}`));
}

/** The DER of the critical nameConstraints extension value (permitted subtrees only). */
export function nameConstraintsExtension(
  dns: readonly string[],
  extraIps: readonly string[],
): { id: string; critical: true; value: string } {
  const { asn1 } = forge;
  const subtree = (generalName: ReturnType<typeof asn1.create>) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [generalName]);
  const ipName = (base: string, prefix: number) => {
    const bytes = ipBytes(base);
    const mask = maskBytes(bytes.length, prefix);
    const masked = bytes.map((b, i) => b & (mask[i] ?? 0));
    return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, String.fromCharCode(...masked, ...mask));
  };
  const subtrees = [
    ...dns.map((d) => subtree(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, d))),
    ...PRIVATE_RANGES.map(([base, prefix]) => subtree(ipName(base, prefix))),
    ...extraIps.filter((ip) => !PRIVATE_RANGES.some((r) => inRange(ip, r))).map((ip) => subtree(ipName(ip, isIP(ip) === 4 ? 32 : 128))),
  ];
  const value = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, subtrees)]);
  return { id: '2.5.29.30', critical: true, value: asn1.toDer(value).getBytes() };
}
