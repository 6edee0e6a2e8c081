/**
 * CRC-16/ARC as SIA DC-09 uses it: polynomial 0x8005 reflected (0xA001), initial value 0, no
 * final XOR, computed over the message bytes from the first `"` up to (not including) the CR.
 */
export function crc16Arc(data: Uint8Array | string): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    }
  }
  return crc & 0xffff;
}

/** Four upper-case hex digits, as the CRC and length fields are written. */
export function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
