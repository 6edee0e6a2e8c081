/**
 * The camera ingest's ffmpeg commands, and what their complaints mean. One source process holds
 * the camera's RTSP session (and the sub stream's, when frames come from it) and copies the video
 * as it was sent, B-frames and all, into fragmented MP4 on a pipe: one fragment per frame, each
 * with the camera's wall-clock time from the RTCP sender reports (the `prft` box). The hub hands
 * those bytes to separate consumers, each its own ffmpeg: the segment recorder and the detection
 * frame decoder (later live view). A consumer that dies or chokes is restarted alone; the camera
 * session and the other consumers carry on.
 */
import { HubError } from '../api/errors.js';
import { FAST_PROBE_ARGS, PROBE_ARGS } from './probe-memory.js';

export type RtspTransport = 'tcp' | 'udp';

export interface SourcePlan {
  mainUrl: string;
  /** Lower-resolution stream for frames (second RTSP session); null: frames from the main stream. */
  subUrl: string | null;
  transport: RtspTransport;
  /** Socket I/O timeout: ffmpeg gives up on a silent camera after this. */
  ioTimeoutMs: number;
  /** Probe only the first packet: the last connection showed the streams need no more (probe-memory.ts). */
  fastProbe?: boolean;
  /** Keep the camera's sound (installer and owner both said yes): AAC beside the video. */
  audio?: boolean;
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

/**
 * Probing: 512 KB / 0.5 s is enough to see the SPS/PPS (usually already in the SDP), one
 * keyframe at 4K and the B-frame reordering; ffmpeg's defaults (5 MB / 5 s) held every
 * (re)connect up for seconds. A stream known to need no more gets the one-packet probe.
 */
function inputArgs(url: string, transport: RtspTransport, ioTimeoutMs: number, fastProbe: boolean): string[] {
  return [
    '-rtsp_transport',
    transport,
    '-timeout',
    String(ioTimeoutMs * 1000),
    ...(fastProbe ? FAST_PROBE_ARGS : PROBE_ARGS),
    // RTP carries presentation times only: with B-frames the first packets have no decode time
    // until the parser has seen the reordering. +genpts fills what it can; broken packets are
    // skipped. Not +nobuffer: it throws away every packet read while probing, the first
    // keyframe among them, so each (re)connect lost up to a whole GOP (10 s on some cameras).
    '-fflags',
    '+genpts+discardcorrupt',
    '-i',
    url,
  ];
}

/** fMP4 for a pipe: one fragment per frame, each with its producer reference time (camera clock). */
const FMP4_OUT = [
  '-f',
  'mp4',
  '-movflags',
  'frag_every_frame+empty_moov+default_base_moof',
  // wallclock: the packet's RTCP-derived NTP time where ffmpeg has one (else its own clock).
  '-write_prft',
  'wallclock',
];

/**
 * The same with sound: a fragment each time a track already has a sample waiting, so a frame
 * still goes out as soon as the next one comes and a moof holds at most one sample per track.
 * Not frag_every_frame: with two tracks ffmpeg 5.1 writes audio samples with negative durations
 * and repeated times there. Packets are written as they come (no interleaving wait): the
 * detector must not wait for the audio encoder's look-ahead, and each track's times are its own.
 */
const FMP4_AV_OUT = [
  '-f',
  'mp4',
  '-movflags',
  'empty_moov+default_base_moof',
  '-frag_duration',
  '1',
  '-max_interleave_delta',
  '1',
  '-write_prft',
  'wallclock',
];

/**
 * Sound is always encoded once to AAC, whatever the camera sends: G.711 (most doorbells) fits
 * neither MP4 nor MPEG-TS, and copying AAC or Opus as sent leaves ffmpeg 5.1 writing samples
 * with negative durations and no time once the RTCP reports re-base the audio timeline (measured
 * on the simulator's AAC and Opus streams). 40 kb/s is the most AAC allows at 8 kHz mono and
 * plenty for speech at any rate. The video is never touched.
 *
 * `aresample=async`: when the camera's first RTCP sender report moves the audio onto the shared
 * clock, its times jump; without this the encoder's output times only creep back (ffmpeg bumps
 * each non-monotonic one by a tick), and sound stayed 0.2 s behind the picture for good in
 * tests. With it, samples are dropped or silence inserted at the jump (any gap over 10 ms), so
 * sound follows the camera's clock from then on.
 */
const AUDIO_AAC = ['-af', 'aresample=async=1:min_hard_comp=0.01', '-c:a', 'aac', '-b:a', '40k'];

/** fd 1: the main stream's fMP4; fd 3: the sub stream's fMP4 (when there is one). */
export function sourceArgs(plan: SourcePlan): string[] {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];
  const fast = plan.fastProbe === true;
  args.push(...inputArgs(plan.mainUrl, plan.transport, plan.ioTimeoutMs, fast));
  if (plan.subUrl) args.push(...inputArgs(plan.subUrl, plan.transport, plan.ioTimeoutMs, fast));
  // The video exactly as sent. Sound only when the installer and the owner both said yes
  // (recording what is said at the door is a legal question for her); else it is left out.
  if (plan.audio) args.push('-map', '0:v:0', '-map', '0:a:0?', '-c:v', 'copy', ...AUDIO_AAC, '-dn', '-sn', ...FMP4_AV_OUT, 'pipe:1');
  else args.push('-map', '0:v:0', '-c:v', 'copy', '-an', '-dn', '-sn', ...FMP4_OUT, 'pipe:1');
  if (plan.subUrl) args.push('-map', '1:v:0', '-c:v', 'copy', '-an', '-dn', '-sn', ...FMP4_OUT, 'pipe:3');
  return args;
}

/**
 * A consumer's input: the fMP4 the source writes. Probing stops at 64 KB, and what it read is
 * kept (no +nobuffer, which drops it: a consumer then started at the second keyframe).
 */
const PIPE_INPUT = ['-f', 'mov', '-probesize', '65536', '-analyzeduration', '0', '-i', 'pipe:0'];

/**
 * Parameter sets (SPS/PPS, and VPS for H.265) before every keyframe, so each segment plays on its
 * own: with open GOPs a segment starts at a non-IDR I-frame, before which the annex B conversion
 * alone adds none. The NAL units themselves are not touched.
 */
function parameterSetsAtKeyframes(codec: string | null): string[] {
  if (codec === 'avc1' || codec === 'avc3') return ['-bsf:v', 'h264_mp4toannexb,dump_extra=freq=keyframe'];
  if (codec === 'hvc1' || codec === 'hev1') return ['-bsf:v', 'hevc_mp4toannexb,dump_extra=freq=keyframe'];
  return [];
}

/** The segment recorder: fMP4 on stdin, copied into MPEG-TS segments; fd 3: the segment list. */
export function recordArgs(segmentPattern: string, segmentSeconds: number, codec: string | null = null): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'warning',
    ...PIPE_INPUT,
    '-map',
    '0:v:0',
    // The sound, when the source carries it (already AAC: copied as it comes).
    '-map',
    '0:a:0?',
    '-c:v',
    'copy',
    '-c:a',
    'copy',
    ...parameterSetsAtKeyframes(codec),
    '-f',
    'segment',
    '-segment_time',
    String(segmentSeconds),
    // MPEG-TS segments stay readable if ffmpeg dies mid-write (MP4 would lose its index).
    '-segment_format',
    'mpegts',
    '-reset_timestamps',
    '1',
    '-segment_list',
    'pipe:3',
    '-segment_list_type',
    'csv',
    segmentPattern,
  ];
}

/**
 * The detection decoder: fMP4 on stdin, raw frames on fd 1, and for each frame a showinfo line
 * on stderr with its presentation time (so each frame gets its camera time). Frames are picked
 * with `select` rather than `fps`, which would move their timestamps onto its own grid; slice
 * threads decode without the frame-thread delay, and the output has no frame-thread delay either.
 */
export function framesArgs(frames: { fps: number; width: number; height: number }): string[] {
  const every = Math.max(0, 1 / frames.fps - 0.02).toFixed(3);
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info',
    '-threads',
    '2',
    '-thread_type',
    'slice',
    '-flags',
    'low_delay',
    '-copyts',
    ...PIPE_INPUT,
    '-map',
    '0:v:0',
    '-vf',
    `select='isnan(prev_selected_t)+gte(t-prev_selected_t,${every})',scale=${frames.width}:${frames.height},showinfo`,
    '-fps_mode',
    'passthrough',
    '-pix_fmt',
    'rgb24',
    // One encoder thread: with more, the rawvideo encoder's frame threading holds each frame
    // back until the next one is selected (200 ms at 5 fps on the way to the detector).
    '-threads',
    '1',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
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
