/**
 * A real RTSP server on loopback, fed by ffmpeg looping a fixture clip with `-c copy` (the
 * stream exactly as encoded: B-frames, open GOPs, H.265, whatever the clip holds), for the demo,
 * the tests and the benchmark. Two servers are offered because cameras differ:
 * - `gstreamer`: GStreamer's RTSP server (python3-gi + gir1.2-gst-rtsp-server-1.0); clients may
 *   use RTP over TCP (like most cameras) or UDP, with basic or digest auth; it may add an audio
 *   track (AAC, G.711 or Opus) and its RTCP sender reports carry its own (possibly drifted) clock.
 * - `js`: the npm rtsp-streaming-server; clients must use UDP (it answers 461 to TCP), which is
 *   what exercises the recorder's UDP fallback.
 * `stop()` then `start()` again serves on the same port: that is how tests cut a camera off.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stopProcess } from '../recorder/child-process.js';

/**
 * A file that lives next to this module in the source tree. The compiled hub runs from dist/,
 * where tsc copies no .py/.cjs/media files, so the repository copy is used there.
 */
export function simAsset(relative: string): string {
  const here = fileURLToPath(new URL(relative, import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL(`../../../hub/sim/${relative}`, import.meta.url));
}

const GST_SCRIPT = simAsset('./gst_rtsp_server.py');
const JS_SCRIPT = simAsset('./js_rtsp_server.cjs');

export interface SimRtspOptions {
  kind: 'gstreamer' | 'js';
  /** A video file looped forever and sent as it is encoded (no re-encode). */
  file: string;
  mount?: string;
  username?: string;
  password?: string;
  /** How the password is checked (GStreamer server only): basic (default) or digest. */
  authMethod?: 'basic' | 'digest';
  /**
   * An audio track beside the video: encoded live from a tone (GStreamer server only), or 'file':
   * the clip's own audio track sent as it is encoded, in step with its video (both servers).
   */
  audio?: SimAudioCodec | 'file';
  /** The camera clock's error: its RTCP sender reports say real time plus this (GStreamer only). */
  clockOffsetMs?: number;
  /** Publish a tone instead of video: a stream that is not video (js server only). */
  audioOnly?: boolean;
  /** Pass a live ffmpeg source instead of a file (the benchmark's testsrc), e.g. ['-f','lavfi','-i','testsrc2=...']. */
  inputArgs?: string[];
  /** Encoder arguments when `inputArgs` is used (the file path copies without re-encoding). */
  encodeArgs?: string[];
  ffmpegPath?: string;
}

export type SimAudioCodec = 'aac' | 'pcmu' | 'pcma' | 'opus';

const AUDIO_ENCODE: Record<SimAudioCodec, { rate: number; args: string[] }> = {
  aac: { rate: 16_000, args: ['-c:a', 'aac', '-b:a', '32k', '-ac', '1'] },
  pcmu: { rate: 8000, args: ['-c:a', 'pcm_mulaw', '-ac', '1'] },
  pcma: { rate: 8000, args: ['-c:a', 'pcm_alaw', '-ac', '1'] },
  opus: { rate: 48_000, args: ['-c:a', 'libopus', '-b:a', '24k', '-ac', '2'] },
};

/**
 * The fixture remuxed (no re-encode) to MPEG-TS once per machine: a TS input carries SPS/PPS
 * in-band at every keyframe, which RTP needs, and loops cleanly with -stream_loop (an MP4 with
 * the h264_mp4toannexb filter does not: ffmpeg 5.1 stops after the first loop).
 */
export async function loopableCopy(file: string, ffmpegPath = 'ffmpeg', withAudio = false): Promise<string> {
  const st = await stat(file);
  const key = createHash('sha256').update(`${file}:${st.size}:${st.mtimeMs}:${withAudio}`).digest('hex').slice(0, 16);
  // With its sound the copy is Matroska: MPEG-TS cannot hold G.711, which most doorbells send.
  const out = join(tmpdir(), `sanctuary-sim-${key}.${withAudio ? 'mkv' : 'ts'}`);
  if (existsSync(out)) return out;
  const part = `${out}.${process.pid}.part`;
  await promisify(execFile)(ffmpegPath, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    file,
    '-map',
    '0:v',
    ...(withAudio ? ['-map', '0:a'] : []),
    '-c',
    'copy',
    '-f',
    withAudio ? 'matroska' : 'mpegts',
    part,
  ]);
  await rename(part, out);
  return out;
}

/**
 * A concat list naming the clip many times over: the concat demuxer joins the copies with
 * continuous timestamps, where `-stream_loop` drops the first frames of each new loop of a
 * B-frame stream (ffmpeg 5.1), which would break the decoding of the frames that follow.
 */
async function loopList(source: string): Promise<string> {
  const list = `${source}.loop.txt`;
  if (existsSync(list)) return list;
  const part = `${list}.${process.pid}.part`;
  await writeFile(part, `file '${source.replace(/'/g, "'\\''")}'\n`.repeat(2000));
  await rename(part, list);
  return list;
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, marker: string, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${timeoutMs} ms: ${err.slice(-500)}`)), timeoutMs);
    const onOut = (b: Buffer) => {
      out += b.toString();
      if (out.includes(marker)) finish(null);
    };
    const onErr = (b: Buffer) => {
      err += b.toString();
    };
    const onExit = (code: number | null) => finish(new Error(`${what} exited (${code}) before it was ready: ${err.slice(-500)}`));
    function finish(e: Error | null) {
      clearTimeout(timer);
      child.stdout?.off('data', onOut);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve();
    }
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

export class SimRtspServer {
  private server: ChildProcess | null = null;
  private feeder: ChildProcess | null = null;
  private port = 0;
  private publishPort = 0;
  private udpPort = 0;
  private rtpStart = 0;
  private audioPort = 0;
  /** Last lines ffmpeg (the feeder) printed, for test failure messages. */
  feederLog = '';
  /** Last lines the server printed (its pipes are always drained so it never blocks on them). */
  serverLog = '';
  /** RTSP connections the GStreamer server accepted (each client's session). */
  clientConnections = 0;

  constructor(private opts: SimRtspOptions) {}

  /** Serve another file from the next `start()` on (the installer changed the camera's encoder settings). */
  serve(file: string): void {
    this.opts = { ...this.opts, file };
  }

  get mount(): string {
    return this.opts.mount ?? '/stream';
  }

  /** The stream URL without credentials (the recorder adds them itself). */
  get url(): string {
    return `rtsp://127.0.0.1:${this.port}${this.mount}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** Process ids of the server and its ffmpeg feeder (tests check they are gone). */
  pids(): number[] {
    return [this.server?.pid, this.feeder?.pid].filter((p): p is number => typeof p === 'number');
  }

  async start(): Promise<void> {
    if (this.server) return;
    if (this.port === 0) this.port = await freeTcpPort();
    if (this.opts.kind === 'gstreamer') await this.startGst();
    else await this.startJs();
  }

  private async startGst(): Promise<void> {
    if (this.opts.audioOnly) throw new Error('the GStreamer sim serves video only; use kind "js" for an audio-only stream');
    if (this.udpPort === 0) this.udpPort = await freeUdpPort();
    if (this.opts.audio && this.audioPort === 0) this.audioPort = await freeUdpPort();
    // ffmpeg writes the SDP of what it sends; the server builds its pipeline from it.
    const sdp = join(tmpdir(), `sanctuary-sim-${process.pid}-${this.port}.sdp`);
    await rm(sdp, { force: true });
    const a = this.opts.audio;
    const audio = a ? { port: this.audioPort, ...(a === 'file' ? { rate: 0, args: [] } : AUDIO_ENCODE[a]) } : null;
    await this.startFeeder(`rtp://127.0.0.1:${this.udpPort}?pkt_size=1200`, 'rtp', { sdp, audio });
    const until = Date.now() + 10_000;
    while (!existsSync(sdp) || (await stat(sdp)).size === 0) {
      if (Date.now() > until || this.feeder?.exitCode != null)
        throw new Error(`the sim's ffmpeg wrote no SDP: ${this.feederLog.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 100));
    const auth = this.opts.username !== undefined ? [this.opts.authMethod ?? 'basic', this.opts.username, this.opts.password ?? ''] : [];
    const server = spawn(
      '/usr/bin/python3',
      [GST_SCRIPT, String(this.port), this.mount, sdp, String(Math.round(this.opts.clockOffsetMs ?? 0)), ...auth],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.server = server;
    this.drain(server);
    await waitForLine(server, 'READY', 10_000, 'GStreamer RTSP server');
  }

  private async startJs(): Promise<void> {
    if (this.publishPort === 0) this.publishPort = await freeTcpPort();
    if (this.rtpStart === 0) this.rtpStart = 20_000 + 2 * Math.floor(Math.random() * 15_000);
    const auth = this.opts.username !== undefined ? [this.opts.username, this.opts.password ?? ''] : [];
    const server = spawn(process.execPath, [JS_SCRIPT, String(this.publishPort), String(this.port), String(this.rtpStart), '40', ...auth], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.server = server;
    this.drain(server);
    await waitForLine(server, 'READY', 10_000, 'rtsp-streaming-server');
    await this.startFeeder(`rtsp://127.0.0.1:${this.publishPort}${this.mount}`, 'rtsp');
  }

  private drain(child: ChildProcess): void {
    const keep = (b: Buffer) => {
      this.serverLog = (this.serverLog + b.toString()).slice(-4000);
    };
    let lines = '';
    child.stdout?.on('data', (b: Buffer) => {
      lines += b.toString();
      const done = lines.split('\n');
      lines = done.pop() ?? '';
      this.clientConnections += done.filter((l) => l.trim() === 'CLIENT').length;
    });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => {
      if (this.server === child) this.serverLog += `\n[server exited: ${code ?? signal}]`;
    });
  }

  private async startFeeder(
    target: string,
    format: 'rtp' | 'rtsp',
    extra: { sdp?: string; audio?: { port: number; rate: number; args: string[] } | null } = {},
  ): Promise<void> {
    const ffmpeg = this.opts.ffmpegPath ?? 'ffmpeg';
    const fileAudio = this.opts.audio === 'file';
    const source = this.opts.audioOnly || this.opts.inputArgs ? '' : await loopableCopy(this.opts.file, ffmpeg, fileAudio);
    const input = this.opts.audioOnly
      ? ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000']
      : this.opts.inputArgs
        ? ['-re', ...this.opts.inputArgs]
        : ['-re', '-f', 'concat', '-safe', '0', '-i', await loopList(source)];
    const codec = this.opts.audioOnly
      ? ['-map', '0:a', '-c:a', 'pcm_mulaw']
      : this.opts.inputArgs
        ? ['-map', '0:v', ...(this.opts.encodeArgs ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency'])]
        : // RTSP publishing carries both tracks in one session; RTP needs a port per track.
          ['-map', '0:v', ...(fileAudio && format === 'rtsp' ? ['-map', '0:a'] : []), '-c', 'copy'];
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input];
    const audio = extra.audio;
    const tone = audio && !fileAudio ? audio : null;
    if (tone) args.push('-re', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${tone.rate}`);
    // A camera sends each 20 ms of G.711 (160 bytes) in its own packet, stamped with when it was
    // captured. ffmpeg's RTP muxer otherwise gathers samples up to its 1472-byte packet size and
    // sends the first one 175 ms late, which its sender reports then count as a sound delay.
    const soundPackets = fileAudio && format === 'rtsp' ? ['-pkt_size', '172'] : [];
    args.push(...codec, ...soundPackets, '-f', format, target);
    if (tone) args.push('-map', '1:a', ...tone.args, '-ar', String(tone.rate), '-f', 'rtp', `rtp://127.0.0.1:${tone.port}`);
    else if (audio) args.push('-map', '0:a', '-c:a', 'copy', '-f', 'rtp', `rtp://127.0.0.1:${audio.port}`);
    if (extra.sdp) args.push('-sdp_file', extra.sdp);
    const feeder = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    feeder.stderr?.on('data', (b: Buffer) => {
      this.feederLog = (this.feederLog + b.toString()).slice(-2000);
    });
    this.feeder = feeder;
  }

  /** The process that encodes or copies the stream (the benchmark reads its CPU). */
  get feederPid(): number | undefined {
    return this.feeder?.pid;
  }

  async stop(): Promise<void> {
    const feeder = this.feeder;
    const server = this.server;
    this.feeder = null;
    this.server = null;
    await Promise.all([feeder ? stopProcess(feeder, 2000) : undefined, server ? stopProcess(server, 2000) : undefined]);
  }
}
