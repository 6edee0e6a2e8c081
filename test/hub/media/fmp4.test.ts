/**
 * The fMP4 splitter on what ffmpeg really writes: one fragment per frame and per audio packet,
 * video and audio tracks told apart, and the codec strings a browser's Media Source needs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Fmp4Fragment, type Fmp4Init, Fmp4Splitter } from '../../../hub/media/fmp4.js';

const run = promisify(execFile);

async function fragmented(video: string[], audio: string[] | null): Promise<Buffer> {
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10'];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000');
  args.push('-t', '2', '-map', '0:v', ...video);
  if (audio) args.push('-map', '1:a', ...audio);
  // As the camera ingest writes them: a fragment per frame, and with sound a fragment at each
  // packet of a track that already has one waiting (frag_every_frame mangles audio times).
  const frag = audio
    ? ['-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1']
    : ['-movflags', 'frag_every_frame+empty_moov+default_base_moof'];
  args.push('-f', 'mp4', ...frag, 'pipe:1');
  const { stdout } = await run('ffmpeg', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function split(bytes: Buffer, chunk = 977): { init: Fmp4Init | null; fragments: Fmp4Fragment[] } {
  let init: Fmp4Init | null = null;
  const fragments: Fmp4Fragment[] = [];
  const s = new Fmp4Splitter(
    (i) => {
      init = i;
    },
    (f) => fragments.push(f),
  );
  // Pipe-sized pieces that cut boxes anywhere.
  for (let o = 0; o < bytes.length; o += chunk) s.push(bytes.subarray(o, o + chunk));
  return { init, fragments };
}

describe('Fmp4Splitter', () => {
  it('tells video from audio fragments and names both codecs for Media Source', async () => {
    const bytes = await fragmented(
      ['-c:v', 'libx264', '-profile:v', 'high', '-level', '3.1', '-g', '7', '-bf', '2'],
      ['-c:a', 'aac', '-ac', '1'],
    );
    const { init, fragments } = split(bytes);
    expect(init).not.toBeNull();
    const i = init as unknown as Fmp4Init;
    expect(i.codec).toBe('avc1');
    expect(i.timescale).toBeGreaterThan(0);
    expect(i.tracks.map((t) => t.kind)).toEqual(['video', 'audio']);
    expect(i.tracks[0]?.mime).toBe('avc1.64001f');
    expect(i.audio?.codec).toBe('mp4a');
    expect(i.audio?.mime).toBe('mp4a.40.2');
    expect(i.audio?.timescale).toBe(8000);
    const video = fragments.filter((f) => f.kind === 'video');
    const audio = fragments.filter((f) => f.kind === 'audio');
    // Every frame in its own fragment (sound rides along in the same moof or comes alone).
    expect(video.length).toBe(20);
    const trafs = (f: Fmp4Fragment) => f.data.toString('latin1').split('traf').length - 1;
    expect(video.some((f) => trafs(f) === 2)).toBe(true);
    expect(audio.every((f) => trafs(f) === 1)).toBe(true);
    // Keyframes every 7 frames, and only video fragments are keyframes.
    expect(video.filter((f) => f.keyframe).length).toBe(3);
    expect(audio.some((f) => f.keyframe)).toBe(false);
    expect(video[0]?.keyframe).toBe(true);
    // Bytes handed on untouched: init plus every fragment is the stream up to the index ffmpeg
    // appends when it ends (mfra), which is no fragment.
    const passed = Buffer.concat([i.data, ...fragments.map((f) => f.data)]);
    expect(passed.equals(bytes.subarray(0, passed.length))).toBe(true);
    expect(bytes.toString('latin1', passed.length + 4, passed.length + 8)).toBe('mfra');
  });

  it('a video-only stream has no audio track; H.265 gets its hvc1 codec string', async () => {
    const bytes = await fragmented(['-c:v', 'libx265', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', '-g', '10'], null);
    const { init, fragments } = split(bytes);
    const i = init as unknown as Fmp4Init;
    expect(i.audio).toBeNull();
    expect(i.codec).toBe('hvc1');
    // Main profile (1), compatibility flags reversed (6), level, then the constraint byte (x265: progressive, frame only = 90).
    expect(i.tracks[0]?.mime).toMatch(/^hvc1\.1\.6\.L\d+\.90$/);
    expect(fragments.every((f) => f.kind === 'video')).toBe(true);
    expect(fragments.filter((f) => f.keyframe).length).toBe(2);
  });
});
