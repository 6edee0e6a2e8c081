/**
 * Which ffmpeg the hub uses: the configured path, else the system ffmpeg on PATH, else the binary
 * shipped in the npm package @ffmpeg-installer/ffmpeg (so `npm ci` alone is enough to run).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { HubError } from '../api/errors.js';

const run = promisify(execFile);

export interface FfmpegInfo {
  path: string;
  ffprobePath: string | null;
  version: string;
  origin: 'config' | 'system' | 'npm';
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

function fromNpm(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@ffmpeg-installer/ffmpeg') as { path: string };
    return existsSync(mod.path) ? mod.path : null;
  } catch {
    // The package has no binary for this platform; the caller reports ffmpeg as missing.
    return null;
  }
}

let cached: Promise<FfmpegInfo> | null = null;

export function resolveFfmpeg(configured: string | null = null): Promise<FfmpegInfo> {
  if (configured === null && cached) return cached;
  const p = (async (): Promise<FfmpegInfo> => {
    const candidates: Array<[string | null, FfmpegInfo['origin']]> = [
      [configured, 'config'],
      [onPath('ffmpeg'), 'system'],
      [fromNpm(), 'npm'],
    ];
    for (const [path, origin] of candidates) {
      if (!path) continue;
      try {
        const { stdout } = await run(path, ['-hide_banner', '-version'], {
          timeout: 10_000,
        });
        const version = /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
        const probe = origin === 'system' ? onPath('ffprobe') : null;
        return { path, ffprobePath: probe, version, origin };
      } catch (err) {
        if (origin === 'config') throw new HubError('HUB_ERR_FFMPEG_MISSING', `configured ffmpeg ${path} does not run`, { cause: err });
      }
    }
    throw new HubError('HUB_ERR_FFMPEG_MISSING', 'no ffmpeg found: install the Debian package ffmpeg or run `npm ci` again');
  })();
  if (configured === null) {
    cached = p;
    p.then(undefined, () => {
      cached = null;
    });
  }
  return p;
}
