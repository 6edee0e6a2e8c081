/**
 * A minimal lossless PNG encoder (8-bit RGB or gray, no interlace) for evidence snapshots: the
 * stored picture must be exactly the decoded frame, which a JPEG cannot be.
 */
import { deflateSync } from 'node:zlib';
import type { RawFrame } from './frame-format.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, start = 0xffffffff): number {
  let c = start;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  const crc = crc32(data, crc32(out.subarray(4, 8))) ^ 0xffffffff;
  out.writeUInt32BE(crc >>> 0, 8 + data.length);
  return out;
}

/** Encode an rgb24 or gray frame as PNG, pixel for pixel. */
export function encodePng(frame: RawFrame, level = 4): Uint8Array {
  const ch = frame.format === 'rgb24' ? 3 : 1;
  const stride = frame.width * ch;
  // Each row: filter byte 1 (Sub: difference to the pixel on the left), which compresses photos well.
  const raw = Buffer.alloc((stride + 1) * frame.height);
  const src = frame.data;
  for (let y = 0; y < frame.height; y++) {
    const o = y * (stride + 1);
    const s = y * stride;
    raw[o] = 1;
    for (let x = 0; x < stride; x++) raw[o + 1 + x] = (src[s + x]! - (x >= ch ? src[s + x - ch]! : 0)) & 0xff;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(frame.width, 0);
  ihdr.writeUInt32BE(frame.height, 4);
  ihdr[8] = 8;
  ihdr[9] = ch === 3 ? 2 : 0;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level })), chunk('IEND', new Uint8Array(0))]);
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
