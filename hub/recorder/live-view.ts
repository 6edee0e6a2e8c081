/**
 * Live view, two ways. `mse` (passthrough, see live-passthrough.ts): the main stream's fMP4 from
 * the camera ingest, not re-encoded, for browsers with Media Source Extensions. `mpeg1` (the
 * fallback): node-rtsp-stream's MPEG-1 muxer (it spawns ffmpeg and emits MPEG-TS with MPEG-1
 * video, which the browser's JSMpeg player decodes) behind the hub's own authenticated WebSocket
 * route. Only the muxer class is used, never node-rtsp-stream's own (unauthenticated) WebSocket
 * server. One muxer per camera, started by the first viewer and stopped when the last one leaves.
 */
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { WebSocket } from 'ws';
import { describeError } from '../api/errors.js';
import type { LiveMode } from '../api/live.js';
import type { CameraStreams, Logger } from '../api/plugin.js';
import { redactSecrets } from '../log/logger.js';
import { stopProcess } from './child-process.js';
import { type PassthroughCounters, PassthroughSession, type TappableStream } from './live-passthrough.js';
import type { RelayLease, RtspAuthRelay } from './rtsp-auth-relay.js';

interface Mpeg1MuxerInstance extends EventEmitter {
  stream: ChildProcess;
}
type Mpeg1MuxerCtor = new (options: { url: string; ffmpegPath: string; ffmpegOptions: Record<string, string> }) => Mpeg1MuxerInstance;

const require = createRequire(import.meta.url);
const Mpeg1Muxer = require('node-rtsp-stream/mpeg1muxer') as Mpeg1MuxerCtor;

interface Session {
  muxer: Mpeg1MuxerInstance;
  lease: RelayLease;
  viewers: Set<WebSocket>;
}

export interface LiveViewOptions {
  ffmpegPath: string;
  log: Logger;
  /** Output size and rate (MPEG-1 accepts only 24, 25 or 30 fps). */
  width: number;
  height: number;
  fps: 24 | 25 | 30;
  bitrateKbps: number;
  /** A viewer with more than this waiting in the hub is disconnected (4429), never buffered without bound. */
  maxViewerBufferBytes: number;
  /** The muxer's ffmpeg gets a loopback relay URL: the password never reaches its command line. */
  relay: RtspAuthRelay;
  /** The camera's ingest, which the passthrough reads (undefined when it has none). */
  ingest(cameraId: string): TappableStream | undefined;
}

export class LiveView {
  private readonly sessions = new Map<string, Session>();
  private readonly passthrough = new Map<string, PassthroughSession>();
  /** Viewers let go because their connection could not keep up (tests and health read it). */
  slowViewersDropped = 0;
  /** Passthrough viewers behind on their connection, set back to the next keyframe. */
  readonly mse: PassthroughCounters = { keyframeSkips: 0, slowViewersDropped: 0 };

  constructor(private readonly opts: LiveViewOptions) {}

  /** Number of viewers of a camera in a mode (0 when nobody watches and no ffmpeg runs). */
  viewers(cameraId: string, mode: LiveMode = 'mpeg1'): number {
    if (mode === 'mse') return this.passthrough.get(cameraId)?.size ?? 0;
    return this.sessions.get(cameraId)?.viewers.size ?? 0;
  }

  /** The camera's ingest was replaced: passthrough viewers read the new one. */
  retap(cameraId: string): void {
    const ingest = this.opts.ingest(cameraId);
    if (ingest) this.passthrough.get(cameraId)?.retap(ingest);
  }

  /** Passthrough: no process, no second RTSP session; false when the camera has no ingest. */
  watchPassthrough(cameraId: string, socket: WebSocket): boolean {
    const ingest = this.opts.ingest(cameraId);
    if (!ingest) return false;
    let session = this.passthrough.get(cameraId);
    if (!session) {
      session = new PassthroughSession(
        {
          maxViewerBufferBytes: this.opts.maxViewerBufferBytes,
          log: this.opts.log.child({ camera: cameraId, live: 'mse' }),
          counters: this.mse,
        },
        ingest,
      );
      this.passthrough.set(cameraId, session);
    } else session.retap(ingest);
    session.add(socket);
    const s = session;
    socket.on('close', () => {
      s.remove(socket);
      if (s.size === 0 && this.passthrough.get(cameraId) === s) {
        this.passthrough.delete(cameraId);
        s.close();
      }
    });
    return true;
  }

  /** The live ffmpeg's pid for a camera (tests check it is gone after the last viewer leaves). */
  pid(cameraId: string): number | undefined {
    return this.sessions.get(cameraId)?.muxer.stream.pid;
  }

  watch(streams: CameraStreams, socket: WebSocket): void {
    let session = this.sessions.get(streams.cameraId);
    if (!session) {
      session = this.startMuxer(streams);
      this.sessions.set(streams.cameraId, session);
    }
    session.viewers.add(socket);
    const s = session;
    socket.on('close', () => {
      s.viewers.delete(socket);
      if (s.viewers.size === 0 && this.sessions.get(streams.cameraId) === s) {
        this.sessions.delete(streams.cameraId);
        this.stopMuxer(streams.cameraId, s);
      }
    });
  }

  private startMuxer(streams: CameraStreams): Session {
    const log = this.opts.log.child({ camera: streams.cameraId, live: true });
    const secrets = [streams.password];
    // The muxer puts `-i url` first, so input options cannot be passed: ffmpeg's default RTSP
    // transport (UDP, falling back to TCP) is used, which suits both kinds of camera.
    const lease = this.opts.relay.lease(streams.subUrl ?? streams.mainUrl, streams.username, streams.password);
    const muxer = new Mpeg1Muxer({
      url: lease.url,
      ffmpegPath: this.opts.ffmpegPath,
      ffmpegOptions: {
        '-an': '',
        '-r': String(this.opts.fps),
        '-s': `${this.opts.width}x${this.opts.height}`,
        '-b:v': `${this.opts.bitrateKbps}k`,
        '-bf': '0',
        '-loglevel': 'warning',
        '-nostdin': '',
      },
    });
    const session: Session = { muxer, lease, viewers: new Set() };
    muxer.on('mpeg1data', (data: Buffer) => {
      for (const v of session.viewers) {
        if (v.readyState !== v.OPEN) continue;
        // A viewer on a connection too slow for the stream: MPEG-1 over one socket cannot skip
        // ahead cleanly, so it is let go (the app reconnects and starts afresh) instead of the hub
        // holding an ever-growing queue for it.
        if (v.bufferedAmount > this.opts.maxViewerBufferBytes) {
          log.warn(
            { bufferedBytes: v.bufferedAmount, limit: this.opts.maxViewerBufferBytes },
            'live viewer too slow for the stream; disconnecting it',
          );
          this.slowViewersDropped++;
          session.viewers.delete(v);
          v.close(4429, 'connection too slow for live video');
          // A close frame cannot get past a full buffer: end the socket after a short grace.
          setTimeout(() => v.terminate(), 2000).unref();
          continue;
        }
        v.send(data);
      }
    });
    muxer.on('ffmpegStderr', (data: Buffer) => log.debug({ ffmpeg: redactSecrets(data.toString(), secrets).slice(0, 300) }, 'live ffmpeg'));
    muxer.stream.on('exit', (code, signal) => {
      lease.release();
      if (this.sessions.get(streams.cameraId) !== session) return;
      log.warn({ code, signal }, 'live view ffmpeg ended; closing viewers');
      this.sessions.delete(streams.cameraId);
      for (const v of session.viewers) v.close(1011, 'live stream ended');
    });
    log.info('live view started');
    return session;
  }

  private stopMuxer(cameraId: string, s: Session): void {
    stopProcess(s.muxer.stream, 2000).then(
      () => this.opts.log.info({ camera: cameraId }, 'live view stopped (no viewers)'),
      (err: unknown) => this.opts.log.error({ camera: cameraId, err: describeError(err) }, 'live view ffmpeg did not stop'),
    );
  }

  async stop(): Promise<void> {
    for (const p of this.passthrough.values()) p.close();
    this.passthrough.clear();
    const all = [...this.sessions.entries()];
    this.sessions.clear();
    for (const [, s] of all) for (const v of s.viewers) v.close(1001, 'hub stopping');
    await Promise.all(all.map(([, s]) => stopProcess(s.muxer.stream, 2000)));
  }
}
