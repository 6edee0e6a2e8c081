/**
 * A clip for sound tests, made with ffmpeg: testsrc2 with the whole frame white for 0.1 s every
 * 2 s and a 1 kHz beep at the same instants, H.264 with B-frames and a GOP that does not divide
 * the frame rate (as cameras encode), and the sound as doorbells send it: G.711 µ-law or AAC.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const FLASH_PERIOD_S = 2;

/** A 10 s Matroska clip (Matroska: MPEG-TS cannot hold G.711). */
export async function makeFlashBeepClip(dir: string, audio: 'pcmu' | 'aac'): Promise<string> {
  const out = join(dir, `flash-beep-${audio}.mkv`);
  const codec = audio === 'pcmu' ? ['-c:a', 'pcm_mulaw', '-ar', '8000'] : ['-c:a', 'aac', '-b:a', '48k', '-ar', '16000'];
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=640x480:rate=25,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t,${FLASH_PERIOD_S}),0.1)'`,
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='if(lt(mod(t,${FLASH_PERIOD_S}),0.1),0.8*sin(2*PI*1000*t),0)':s=48000:c=mono`,
    '-t',
    '10',
    '-map',
    '0:v',
    '-map',
    '1:a',
    // As cameras encode: B-frames, a GOP that does not divide the frame rate.
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-bf',
    '2',
    '-g',
    '37',
    '-pix_fmt',
    'yuv420p',
    ...codec,
    '-ac',
    '1',
    '-y',
    out,
  ]);
  return out;
}
