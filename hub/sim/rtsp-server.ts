/**
 * A real RTSP server on loopback, fed by ffmpeg looping a fixture clip with `-c copy`, for the
 * demo, the tests and the benchmark. Two servers are offered because cameras differ:
 * - `gstreamer`: GStreamer's RTSP server (python3-gi + gir1.2-gst-rtsp-server-1.0); clients may
 *   use RTP over TCP (like most cameras) or UDP.
 * - `js`: the npm rtsp-streaming-server; clients must use UDP (it answers 461 to TCP), which is
 *   what exercises the recorder's UDP fallback.
 * `stop()` then `start()` again serves on the same port: that is how tests cut a camera off.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { stopProcess } from '../recorder/child-process.js';

const GST_SCRIPT = fileURLToPath(new URL('./gst_rtsp_server.py', import.meta.url));
const JS_SCRIPT = fileURLToPath(new URL('./js_rtsp_server.cjs', import.meta.url));

export interface SimRtspOptions {
  kind: 'gstreamer' | 'js';
  /** A video file looped forever (H.264 without B-frames, as cameras send). */
  file: string;
  mount?: string;
  username?: string;
  password?: string;
  /** Publish a tone instead of video: a stream that is not video (js server only). */
  audioOnly?: boolean;
  /** Pass a live ffmpeg source instead of a file (the benchmark's testsrc), e.g. ['-f','lavfi','-i','testsrc2=...']. */
  inputArgs?: string[];
  /** Encoder arguments when `inputArgs` is used (the file path copies without re-encoding). */
  encodeArgs?: string[];
  ffmpegPath?: string;
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
  /** Last lines ffmpeg (the feeder) printed, for test failure messages. */
  feederLog = '';

  constructor(private readonly opts: SimRtspOptions) {}

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
    const auth = this.opts.username !== undefined ? [this.opts.username, this.opts.password ?? ''] : [];
    const server = spawn('/usr/bin/python3', [GST_SCRIPT, String(this.port), this.mount, String(this.udpPort), ...auth], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.server = server;
    await waitForLine(server, 'READY', 10_000, 'GStreamer RTSP server');
    this.startFeeder(`rtp://127.0.0.1:${this.udpPort}?pkt_size=1200`, 'rtp');
  }

  private async startJs(): Promise<void> {
    if (this.publishPort === 0) this.publishPort = await freeTcpPort();
    if (this.rtpStart === 0) this.rtpStart = 20_000 + 2 * Math.floor(Math.random() * 15_000);
    const auth = this.opts.username !== undefined ? [this.opts.username, this.opts.password ?? ''] : [];
    const server = spawn(
      process.execPath,
      [JS_SCRIPT, String(this.publishPort), String(this.port), String(this.rtpStart), '40', ...auth],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.server = server;
    await waitForLine(server, 'READY', 10_000, 'rtsp-streaming-server');
    this.startFeeder(`rtsp://127.0.0.1:${this.publishPort}${this.mount}`, 'rtsp');
  }

  private startFeeder(target: string, format: 'rtp' | 'rtsp'): void {
    const ffmpeg = this.opts.ffmpegPath ?? 'ffmpeg';
    const input = this.opts.audioOnly
      ? ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000']
      : this.opts.inputArgs
        ? ['-re', ...this.opts.inputArgs]
        : ['-re', '-stream_loop', '-1', '-i', this.opts.file];
    const codec = this.opts.audioOnly
      ? ['-map', '0:a', '-c:a', 'pcm_mulaw']
      : this.opts.inputArgs
        ? ['-map', '0:v', ...(this.opts.encodeArgs ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0'])]
        : ['-map', '0:v', '-c', 'copy'];
    // RTP output needs SPS/PPS in-band (the MP4 keeps them only in its header).
    const bsf = format === 'rtp' && !this.opts.audioOnly ? ['-bsf:v', 'h264_mp4toannexb'] : [];
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, ...codec, ...bsf, '-f', format, target];
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
