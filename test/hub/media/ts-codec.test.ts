/**
 * The video codec of a recorded MPEG-TS segment, read from its PMT: real files written by
 * ffmpeg's MPEG-TS muxer (as the segment recorder writes them), with and without audio.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsVideoCodec } from '../../../hub/media/ts-codec.js';

const run = promisify(execFile);

describe('tsVideoCodec', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sanctuary-ts-codec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function ts(name: string, args: string[]): Promise<string> {
    const out = join(dir, name);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args, '-t', '1', '-f', 'mpegts', '-y', out]);
    return out;
  }
  const video = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10'];
  const audio = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000'];

  it('H.264, with an AAC track beside it', async () => {
    expect(await tsVideoCodec(await ts('h264.ts', [...video, ...audio, '-c:v', 'libx264', '-c:a', 'aac']))).toBe('h264');
  });
  it('H.265', async () => {
    expect(await tsVideoCodec(await ts('hevc.ts', [...video, '-c:v', 'libx265', '-x265-params', 'log-level=error']))).toBe('hevc');
  });
  it('another video codec is "other"; no video at all is null', async () => {
    expect(await tsVideoCodec(await ts('mpeg2.ts', [...video, '-c:v', 'mpeg2video']))).toBe('other');
    expect(await tsVideoCodec(await ts('audio.ts', [...audio, '-c:a', 'aac']))).toBeNull();
  });
});
