/**
 * The video codec of an MPEG-TS file, read from its program map table (PAT, then PMT): enough to
 * pick the MP4 sample entry a remux should use, without ffprobe (which the npm ffmpeg package
 * does not ship).
 */
import { open } from 'node:fs/promises';

export type TsVideoCodec = 'h264' | 'hevc' | 'other';

const PACKET = 188;

/** Stream types of ISO/IEC 13818-1 (table 2-34) for the video codecs cameras send. */
const VIDEO_TYPES: Record<number, TsVideoCodec> = { 27: 'h264', 36: 'hevc' };

/** The payload of a packet that starts a PSI section on `pid`, past its pointer field; else null. */
function section(p: Buffer, pid: number): Buffer | null {
  if (p[0] !== 0x47) return null;
  const start = ((p[1] ?? 0) & 0x40) !== 0;
  const packetPid = (((p[1] ?? 0) & 0x1f) << 8) | (p[2] ?? 0);
  if (!start || packetPid !== pid) return null;
  const afc = ((p[3] ?? 0) >> 4) & 0x3;
  let o = 4;
  if (afc === 2) return null;
  if (afc === 3) o += 1 + (p[4] ?? 0);
  o += 1 + (p[o] ?? 0);
  return o < PACKET ? p.subarray(o) : null;
}

/** Read the first `limit` bytes of a segment and say which video codec its PMT lists (null: none found). */
export async function tsVideoCodec(path: string, limit = 64 * PACKET): Promise<TsVideoCodec | null> {
  const fh = await open(path, 'r');
  let data: Buffer;
  try {
    const buf = Buffer.alloc(limit);
    const { bytesRead } = await fh.read(buf, 0, limit, 0);
    data = buf.subarray(0, bytesRead - (bytesRead % PACKET));
  } finally {
    await fh.close();
  }
  let pmtPid: number | null = null;
  for (let at = 0; at + PACKET <= data.length; at += PACKET) {
    const p = data.subarray(at, at + PACKET);
    if (pmtPid === null) {
      const pat = section(p, 0);
      // table_id 0, then the first program entry after the 8-byte header (program 0 is the NIT).
      if (pat?.[0] !== 0x00) continue;
      const length = (((pat[1] ?? 0) & 0x0f) << 8) | (pat[2] ?? 0);
      for (let e = 8; e + 4 <= 3 + length - 4; e += 4) {
        const program = ((pat[e] ?? 0) << 8) | (pat[e + 1] ?? 0);
        if (program !== 0) {
          pmtPid = (((pat[e + 2] ?? 0) & 0x1f) << 8) | (pat[e + 3] ?? 0);
          break;
        }
      }
      continue;
    }
    const pmt = section(p, pmtPid);
    if (pmt?.[0] !== 0x02) continue;
    const length = (((pmt[1] ?? 0) & 0x0f) << 8) | (pmt[2] ?? 0);
    const infoLength = (((pmt[10] ?? 0) & 0x0f) << 8) | (pmt[11] ?? 0);
    const end = Math.min(3 + length - 4, pmt.length);
    let other = false;
    for (let e = 12 + infoLength; e + 5 <= end; ) {
      const type = pmt[e] ?? 0;
      const esInfo = (((pmt[e + 3] ?? 0) & 0x0f) << 8) | (pmt[e + 4] ?? 0);
      const codec = VIDEO_TYPES[type];
      if (codec) return codec;
      // MPEG-1/2 video, MPEG-4 part 2: video, but not one a camera stream here is.
      if (type === 0x01 || type === 0x02 || type === 0x10) other = true;
      e += 5 + esInfo;
    }
    return other ? 'other' : null;
  }
  return null;
}
