/**
 * The MIME type live view's passthrough gives the browser's Media Source, from the init segments
 * ffmpeg really writes (as the camera ingest does), and the fallback for a codec with none.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Fmp4Init, Fmp4Splitter } from '../../../hub/media/fmp4.js';
import { mseMime } from '../../../hub/recorder/live-passthrough.js';

const run = promisify(execFile);

async function initOf(video: string[], audio: string[] | null): Promise<Fmp4Init> {
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10'];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000');
  args.push('-t', '1', '-map', '0:v', ...video);
  if (audio) args.push('-map', '1:a', ...audio);
  args.push('-f', 'mp4', '-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1', 'pipe:1');
  const { stdout } = await run('ffmpeg', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  let init: Fmp4Init | null = null;
  new Fmp4Splitter(
    (i) => {
      init = i;
    },
    () => undefined,
  ).push(stdout);
  if (!init) throw new Error('ffmpeg wrote no init segment');
  return init;
}

describe('live view MIME type', () => {
  it('names the video and sound codecs as Media Source takes them', async () => {
    const init = await initOf(['-c:v', 'libx264', '-profile:v', 'high', '-level', '3.1'], ['-c:a', 'aac', '-ac', '1']);
    expect(mseMime(init)).toBe('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
    const videoOnly = await initOf(['-c:v', 'libx264', '-profile:v', 'main', '-level', '4.0'], null);
    expect(mseMime(videoOnly)).toBe('video/mp4; codecs="avc1.4d4028"');
    const hevc = await initOf(['-c:v', 'libx265', '-x265-params', 'log-level=error', '-tag:v', 'hvc1'], null);
    expect(mseMime(hevc)).toMatch(/^video\/mp4; codecs="hvc1\.1\.6\.L\d+\.90"$/);
  });

  it('has none for a codec a browser cannot be given (the client is told to fall back to MPEG-1)', async () => {
    const mjpeg = await initOf(['-c:v', 'mjpeg'], null);
    expect(mjpeg.tracks[0]?.mime).toBeNull();
    expect(mseMime(mjpeg)).toBeNull();
  });
});
