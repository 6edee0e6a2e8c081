/**
 * Real fixture media as detector frames: still images decoded with pngjs / jpeg-js, clips decoded
 * by a real ffmpeg child process to raw rgb24 at the detect rate (as the recorder's ffmpeg does).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Frame } from '../../hub/api/plugin.js';
import { resolveFfmpeg } from '../../hub/media/ffmpeg.js';

export const MEDIA = fileURLToPath(new URL('../fixtures/media/', import.meta.url));

export function imageFrame(name: string, format: Frame['format'] = 'rgb24', cameraId = 'test', ts = 0): Frame {
  const buf = readFileSync(MEDIA + name);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  if (name.endsWith('.png')) {
    const png = PNG.sync.read(buf);
    ({ width, height } = png);
    rgba = png.data;
  } else {
    const j = jpeg.decode(buf, { useTArray: true });
    ({ width, height } = j);
    rgba = j.data;
  }
  const ch = format === 'rgb24' ? 3 : 1;
  const data = new Uint8Array(width * height * ch);
  for (let i = 0; i < width * height; i++) {
    if (ch === 3) {
      data[i * 3] = rgba[i * 4]!;
      data[i * 3 + 1] = rgba[i * 4 + 1]!;
      data[i * 3 + 2] = rgba[i * 4 + 2]!;
    } else {
      data[i] = Math.round(rgba[i * 4]! * 0.299 + rgba[i * 4 + 1]! * 0.587 + rgba[i * 4 + 2]! * 0.114);
    }
  }
  return { cameraId, ts, width, height, format, data };
}

export interface ClipOptions {
  cameraId: string;
  fps: number;
  width: number;
  height: number;
  seconds: number;
  /** Timestamp of the first frame; the rest follow at 1000/fps ms. */
  startTs: number;
  /** Start this many seconds into the clip. */
  from?: number;
}

/** Decode a clip with ffmpeg into rgb24 frames, exactly frame-sized, with frame-time timestamps. */
export async function clipFrames(name: string, o: ClipOptions): Promise<Frame[]> {
  const ffmpeg = await resolveFfmpeg();
  const args = ['-v', 'error', '-nostdin', ...(o.from ? ['-ss', String(o.from)] : []), '-t', String(o.seconds), '-i', MEDIA + name];
  args.push('-vf', `fps=${o.fps},scale=${o.width}:${o.height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const child = spawn(ffmpeg.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`ffmpeg failed on ${name} (exit ${code}): ${stderr.trim()}`);
  const all = Buffer.concat(chunks);
  const size = o.width * o.height * 3;
  const frames: Frame[] = [];
  for (let i = 0; (i + 1) * size <= all.length; i++) {
    frames.push({
      cameraId: o.cameraId,
      ts: o.startTs + Math.round((i * 1000) / o.fps),
      width: o.width,
      height: o.height,
      format: 'rgb24',
      data: new Uint8Array(all.buffer, all.byteOffset + i * size, size),
    });
  }
  return frames;
}

/** The same picture with every channel scaled and shifted (lights on, IR switch, exposure jump). */
export function relit(frame: Frame, gain: number, offset: number, ts: number): Frame {
  const data = new Uint8Array(frame.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(frame.data[i]! * gain + offset)));
  return { ...frame, data, ts };
}

/** The single frame of a clip at `t` seconds, decoded as the hand labels were read (640x480). */
export async function clipFrameAt(name: string, t: number, width = 640, height = 480): Promise<Frame> {
  const [frame] = await clipFrames(name, { cameraId: 'labelled', fps: 10, width, height, seconds: 0.1, startTs: 0, from: t });
  if (!frame) throw new Error(`no frame at ${t} s in ${name}`);
  return { ...frame, data: Uint8Array.from(frame.data) };
}
