/**
 * One picture from a camera, for the installer's "test this camera" and the owner's snapshot:
 * from the camera's snapshot URL when it has one, else one frame read from its RTSP stream
 * (TCP first, then UDP). Failures become HubErrors the installer can act on.
 */
import { spawn } from 'node:child_process';
import { get as httpGetPlain } from 'node:http';
import { get as httpsGet } from 'node:https';
import { HubError } from '../api/errors.js';
import type { CameraStreams } from '../api/plugin.js';
import { redactSecrets } from '../log/logger.js';
import { stopProcess } from './child-process.js';
import { type CameraProblem, cameraError, classifyFfmpegError, type RtspTransport } from './ingest-command.js';
import { answerChallenge, pickChallenge, type RtspAuthRelay } from './rtsp-auth-relay.js';

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

/** Largest snapshot accepted (a 4K JPEG is 1-3 MB); a camera sending more is cut off. */
export const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;

interface HttpAnswer {
  status: number;
  challenges: string[];
  body: Buffer;
}

/** One GET with a time limit and a size limit; the body is dropped (not buffered) past the limit. */
function httpGet(url: URL, headers: Record<string, string>, timeoutMs: number, maxBytes: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? httpsGet : httpGetPlain;
    // Cameras serve self-signed certificates; the snapshot carries no secret of ours beyond the reply.
    const req = get(url, { headers, timeout: timeoutMs, ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}) }, (res) => {
      const challenges: string[] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        if (res.rawHeaders[i]?.toLowerCase() === 'www-authenticate') challenges.push(res.rawHeaders[i + 1] ?? '');
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        res.destroy();
        reject(new HubError('HUB_ERR_CAMERA', `the camera's snapshot is ${declared} bytes, over the ${maxBytes}-byte limit`));
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        size += b.length;
        if (size > maxBytes) {
          res.destroy();
          reject(new HubError('HUB_ERR_CAMERA', `the camera's snapshot was longer than the ${maxBytes}-byte limit; cut off`));
          return;
        }
        parts.push(b);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenges, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) =>
      reject(
        err instanceof HubError
          ? err
          : new HubError('HUB_ERR_CAMERA_UNREACHABLE', 'the camera did not answer the snapshot request', { cause: err }),
      ),
    );
  });
}

/** The camera's snapshot URL, answering a Digest (preferred) or Basic challenge with its credentials. */
async function fetchSnapshot(url: string, username: string | null, password: string | null, timeoutMs: number): Promise<Buffer> {
  const target = new URL(url);
  let res = await httpGet(target, {}, timeoutMs, MAX_SNAPSHOT_BYTES);
  if (res.status === 401 && username) {
    const challenge = pickChallenge(res.challenges);
    if (challenge) {
      const auth = answerChallenge(challenge, {
        method: 'GET',
        uri: `${target.pathname}${target.search}`,
        username,
        password: password ?? '',
        nc: 1,
      });
      res = await httpGet(target, { authorization: auth }, timeoutMs, MAX_SNAPSHOT_BYTES);
    }
  }
  if (res.status === 401 || res.status === 403) throw new HubError('HUB_ERR_CAMERA_AUTH', 'the camera refused the user name or password');
  if (res.status < 200 || res.status > 299)
    throw new HubError('HUB_ERR_CAMERA', `the camera answered the snapshot request with HTTP ${res.status}`);
  const body = res.body;
  if (body[0] !== 0xff || body[1] !== 0xd8)
    throw new HubError('HUB_ERR_CAMERA_NOT_VIDEO', 'the snapshot address did not return a JPEG picture');
  return body;
}

/** Take one picture; throws HUB_ERR_CAMERA_AUTH / _UNREACHABLE / _NOT_VIDEO with plain words. */
export async function takeSnapshot(
  ffmpegPath: string,
  relay: RtspAuthRelay,
  streams: Omit<CameraStreams, 'cameraId'>,
  opts: { timeoutMs?: number; preferRtsp?: boolean; firstTransport?: RtspTransport } = {},
): Promise<Snapshot> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (streams.snapshotUrl && !opts.preferRtsp) {
    return { jpeg: await fetchSnapshot(streams.snapshotUrl, streams.username, streams.password, timeoutMs), via: 'snapshot_url' };
  }
  const lease = relay.lease(streams.subUrl ?? streams.mainUrl, streams.username, streams.password);
  try {
    const first = opts.firstTransport ?? 'tcp';
    let problem: CameraProblem | null = null;
    for (const transport of [first, first === 'tcp' ? 'udp' : 'tcp'] as const) {
      const r = await grabFrame(ffmpegPath, lease.url, transport, timeoutMs);
      if (Buffer.isBuffer(r)) return { jpeg: r, via: transport === 'tcp' ? 'rtsp_tcp' : 'rtsp_udp' };
      problem = classifyFfmpegError(redactSecrets(r.stderr, [streams.password]));
      if (!problem.transportRefused) break;
    }
    throw cameraError(problem ?? classifyFfmpegError(''));
  } finally {
    lease.release();
  }
}
