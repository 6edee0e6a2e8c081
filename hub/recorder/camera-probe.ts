/**
 * One picture from a camera, for the installer's "test this camera" and the owner's snapshot:
 * from the camera's snapshot URL when it has one, else one frame read from its RTSP stream
 * (TCP first, then UDP). Failures become HubErrors the installer can act on.
 */
import { spawn } from 'node:child_process';
import { HubError } from '../api/errors.js';
import type { CameraStreams } from '../api/plugin.js';
import { redactSecrets } from '../log/logger.js';
import { stopProcess } from './child-process.js';
import { type CameraProblem, cameraError, classifyFfmpegError, type RtspTransport, withCredentials } from './ingest-command.js';

export interface Snapshot {
  jpeg: Buffer;
  via: 'snapshot_url' | 'rtsp_tcp' | 'rtsp_udp';
}

function grabFrame(ffmpegPath: string, url: string, transport: RtspTransport, timeoutMs: number): Promise<Buffer | { stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      ffmpegPath,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'warning',
        '-rtsp_transport',
        transport,
        '-timeout',
        String(Math.min(timeoutMs, 5000) * 1000),
        '-i',
        url,
        '-map',
        '0:v:0',
        '-frames:v',
        '1',
        '-q:v',
        '4',
        '-f',
        'image2',
        '-c:v',
        'mjpeg',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      stderr += '\nConnection timed out (no picture)';
      stopProcess(child, 1000).then(undefined, () => undefined);
    }, timeoutMs);
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(out);
      if (code === 0 && jpeg.length > 2 && jpeg[0] === 0xff && jpeg[1] === 0xd8) resolve(jpeg);
      else resolve({ stderr });
    });
  });
}

async function fetchSnapshot(url: string, username: string | null, password: string | null, timeoutMs: number): Promise<Buffer> {
  const headers: Record<string, string> = {};
  if (username) headers.authorization = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new HubError('HUB_ERR_CAMERA_UNREACHABLE', 'the camera did not answer the snapshot request', { cause: err });
  }
  if (res.status === 401 || res.status === 403) throw new HubError('HUB_ERR_CAMERA_AUTH', 'the camera refused the user name or password');
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new HubError('HUB_ERR_CAMERA', `the camera answered the snapshot request with HTTP ${res.status}`);
  if (body[0] !== 0xff || body[1] !== 0xd8)
    throw new HubError('HUB_ERR_CAMERA_NOT_VIDEO', 'the snapshot address did not return a JPEG picture');
  return body;
}

/** Take one picture; throws HUB_ERR_CAMERA_AUTH / _UNREACHABLE / _NOT_VIDEO with plain words. */
export async function takeSnapshot(
  ffmpegPath: string,
  streams: Omit<CameraStreams, 'cameraId'>,
  opts: { timeoutMs?: number; preferRtsp?: boolean; firstTransport?: RtspTransport } = {},
): Promise<Snapshot> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (streams.snapshotUrl && !opts.preferRtsp) {
    return { jpeg: await fetchSnapshot(streams.snapshotUrl, streams.username, streams.password, timeoutMs), via: 'snapshot_url' };
  }
  const url = withCredentials(streams.subUrl ?? streams.mainUrl, streams.username, streams.password);
  const first = opts.firstTransport ?? 'tcp';
  let problem: CameraProblem | null = null;
  for (const transport of [first, first === 'tcp' ? 'udp' : 'tcp'] as const) {
    const r = await grabFrame(ffmpegPath, url, transport, timeoutMs);
    if (Buffer.isBuffer(r)) return { jpeg: r, via: transport === 'tcp' ? 'rtsp_tcp' : 'rtsp_udp' };
    problem = classifyFfmpegError(redactSecrets(r.stderr, [streams.password]));
    if (!problem.transportRefused) break;
  }
  throw cameraError(problem ?? classifyFfmpegError(''));
}
