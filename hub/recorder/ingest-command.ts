/**
 * The one ffmpeg command per camera, and what its complaints mean. One process reads the camera
 * (and its sub stream when frames are wanted) and writes both the copied segments and the
 * low-resolution raw frames, so the camera sees one or two RTSP sessions, never more.
 */
import { HubError } from '../api/errors.js';

export type RtspTransport = 'tcp' | 'udp';

export interface IngestPlan {
  mainUrl: string;
  /** Lower-resolution stream for frames; null: frames come from the main stream. */
  subUrl: string | null;
  transport: RtspTransport;
  /** Segment file pattern (absolute) or null when recording is paused. */
  segmentPattern: string | null;
  segmentSeconds: number;
  frames: { fps: number; width: number; height: number } | null;
  /** Socket I/O timeout: ffmpeg gives up on a silent camera after this. */
  ioTimeoutMs: number;
}

/** Put the camera's credentials into an RTSP URL (only ffmpeg's argv ever sees this form). */
export function withCredentials(url: string, username: string | null, password: string | null): string {
  if (!username) return url;
  const u = new URL(url);
  if (u.username) return url;
  u.username = encodeURIComponent(username);
  u.password = encodeURIComponent(password ?? '');
  return u.toString();
}

function inputArgs(url: string, transport: RtspTransport, ioTimeoutMs: number): string[] {
  return [
    '-rtsp_transport',
    transport,
    '-timeout',
    String(ioTimeoutMs * 1000),
    // Cameras start mid-GOP and drop packets: make timestamps where missing, skip broken packets.
    '-fflags',
    '+genpts+discardcorrupt',
    '-i',
    url,
  ];
}

/**
 * fd 1: raw frames; fd 3: the segment list (one CSV line per finished segment); fd 4: progress
 * (key=value blocks once a second: the liveness signal).
 */
export function ingestArgs(plan: IngestPlan): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
  args.push(...inputArgs(plan.mainUrl, plan.transport, plan.ioTimeoutMs));
  const frameInput = plan.frames && plan.subUrl ? 1 : 0;
  if (plan.frames && plan.subUrl) args.push(...inputArgs(plan.subUrl, plan.transport, plan.ioTimeoutMs));
  args.push('-progress', 'pipe:4', '-stats_period', '1');
  if (plan.segmentPattern) {
    args.push(
      '-map',
      '0:v:0',
      '-c:v',
      'copy',
      '-an',
      '-f',
      'segment',
      '-segment_time',
      String(plan.segmentSeconds),
      // MPEG-TS segments stay readable if ffmpeg dies mid-write (MP4 would lose its index).
      '-segment_format',
      'mpegts',
      '-reset_timestamps',
      '1',
      '-segment_list',
      'pipe:3',
      '-segment_list_type',
      'csv',
      plan.segmentPattern,
    );
  }
  if (plan.frames) {
    const { fps, width, height } = plan.frames;
    args.push(
      '-map',
      `${frameInput}:v:0`,
      '-an',
      '-vf',
      `fps=${fps},scale=${width}:${height}`,
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      'pipe:1',
    );
  }
  // Nothing to write (recording paused, no detection): still watch the camera so offline is noticed.
  if (!plan.segmentPattern && !plan.frames) args.push('-map', '0:v:0', '-c', 'copy', '-f', 'null', '-');
  return args;
}

export type CameraErrorCode = 'HUB_ERR_CAMERA_UNREACHABLE' | 'HUB_ERR_CAMERA_AUTH' | 'HUB_ERR_CAMERA_NOT_VIDEO' | 'HUB_ERR_CAMERA';

export interface CameraProblem {
  code: CameraErrorCode;
  /** Words for the installer (no URL, no password). */
  message: string;
  /** The server refused the transport: try the other one. */
  transportRefused: boolean;
}

/** Read ffmpeg's stderr (already redacted) and say what went wrong in the installer's words. */
export function classifyFfmpegError(stderr: string): CameraProblem {
  const has = (re: RegExp) => re.test(stderr);
  if (has(/401 Unauthorized|403 Forbidden/i))
    return { code: 'HUB_ERR_CAMERA_AUTH', message: 'the camera refused the user name or password', transportRefused: false };
  if (has(/matches no streams|does not contain any stream|no video stream|Output file #\d+ does not contain/i))
    return {
      code: 'HUB_ERR_CAMERA_NOT_VIDEO',
      message: 'the stream has no video (is this the right stream address?)',
      transportRefused: false,
    };
  if (has(/461 Unsupported Transport|Nonmatching transport|Protocol not supported|Unsupported transport/i))
    return { code: 'HUB_ERR_CAMERA_UNREACHABLE', message: 'the camera refused the RTSP transport', transportRefused: true };
  if (has(/404 Not Found/i))
    return { code: 'HUB_ERR_CAMERA_UNREACHABLE', message: 'the camera has no stream at that address (404)', transportRefused: false };
  if (has(/Connection refused/i))
    return { code: 'HUB_ERR_CAMERA_UNREACHABLE', message: 'connection refused by the camera', transportRefused: false };
  if (has(/timed out|Connection timed out|No route to host|Network is unreachable|Host is unreachable/i))
    return { code: 'HUB_ERR_CAMERA_UNREACHABLE', message: 'the camera did not answer (timed out)', transportRefused: false };
  if (has(/Name or service not known|Temporary failure in name resolution|Failed to resolve/i))
    return { code: 'HUB_ERR_CAMERA_UNREACHABLE', message: 'the camera host name does not resolve', transportRefused: false };
  if (has(/End of file|Connection reset|Broken pipe|Invalid data found/i))
    return { code: 'HUB_ERR_CAMERA_UNREACHABLE', message: 'the camera closed the stream', transportRefused: true };
  const last = stderr.trim().split('\n').pop() ?? '';
  return { code: 'HUB_ERR_CAMERA', message: last ? `ffmpeg: ${last.slice(0, 200)}` : 'the stream stopped', transportRefused: true };
}

export function cameraError(problem: CameraProblem, details: Record<string, unknown> = {}): HubError {
  return new HubError(problem.code, problem.message, { details });
}
