/**
 * Live view without re-encoding: the main stream's fragmented MP4, exactly as the camera ingest's
 * ffmpeg writes it (tapped from the ingest: no second RTSP session, no ffmpeg of its own), passed
 * to browsers for Media Source Extensions. A viewer gets a JSON text message with the MIME type
 * its SourceBuffer needs, the init segment, then fragments from a video keyframe on; a new init
 * (the camera reconnected) is sent again and the client resets its SourceBuffer.
 *
 * A small cache of the current GOP (from its keyframe, bounded in bytes) lets a new viewer start
 * at once rather than wait for the next keyframe. A viewer whose connection falls behind skips to
 * the next keyframe; one that stays behind is disconnected (4429). The hub never holds more for a
 * viewer than the bound plus one fragment.
 */
import type { WebSocket } from 'ws';
import type { LiveFallbackMessage, LiveInitMessage } from '../api/live.js';
import type { Logger } from '../api/plugin.js';
import type { Fmp4Fragment, Fmp4Init } from '../media/fmp4.js';
import type { StreamTap } from './camera-ingest.js';
import { SliceMerger } from './slice-merge.js';

/** What the passthrough reads: a camera ingest's tap on its main stream. */
export interface TappableStream {
  tap(tap: StreamTap): () => void;
}

/** Close code: this camera's stream cannot go to Media Source as it is; use the MPEG-1 path. */
export const CLOSE_FALLBACK = 4415;
/** Close code: the viewer's connection is too slow for the stream. */
export const CLOSE_TOO_SLOW = 4429;

const GOP_CACHE_MAX_BYTES = 4 * 1024 * 1024;
/** A viewer behind for this long without catching up at a keyframe is let go. */
const BEHIND_GRACE_MS = 5000;

/** The MIME type with every track's codec string, or null when a track has none a browser knows. */
export function mseMime(init: Fmp4Init): string | null {
  const tracks = init.tracks.filter((t) => t.kind === 'video' || t.kind === 'audio');
  if (!tracks.some((t) => t.kind === 'video') || tracks.some((t) => t.mime === null)) return null;
  return `video/mp4; codecs="${tracks.map((t) => t.mime).join(',')}"`;
}

interface Viewer {
  socket: WebSocket;
  /** Skipping fragments until the next video keyframe. */
  waiting: boolean;
  /** When its connection first had more than the bound waiting (null while it keeps up). */
  behindSince: number | null;
}

export interface PassthroughCounters {
  /** Times a viewer was set back to the next keyframe because its connection was behind. */
  keyframeSkips: number;
  /** Viewers disconnected (4429) for staying behind. */
  slowViewersDropped: number;
}

export class PassthroughSession implements StreamTap {
  private initSeg: Fmp4Init | null = null;
  private mime: string | null = null;
  private gop: Fmp4Fragment[] = [];
  private gopBytes = 0;
  private readonly viewers = new Map<WebSocket, Viewer>();
  private untap: (() => void) | null = null;
  private source: TappableStream | null = null;
  private readonly gopLimit: number;
  /** Keyframes in several slices made one sample each, for the browser (see slice-merge.ts). */
  private readonly merger = new SliceMerger((f) => {
    this.cache(f);
    for (const v of this.viewers.values()) this.deliver(v, f);
  });

  constructor(
    private readonly opts: { maxViewerBufferBytes: number; log: Logger; counters: PassthroughCounters },
    source: TappableStream,
  ) {
    // A GOP bigger than what a viewer may have waiting would put every new viewer over its bound.
    this.gopLimit = Math.min(GOP_CACHE_MAX_BYTES, opts.maxViewerBufferBytes);
    this.retap(source);
  }

  get size(): number {
    return this.viewers.size;
  }

  /** Bytes held in the GOP cache (tests read it). */
  get cachedBytes(): number {
    return this.gopBytes;
  }

  /** Read from this ingest (the camera's ingest was replaced); viewers start again at its init. */
  retap(source: TappableStream): void {
    if (this.source === source) return;
    this.untap?.();
    this.source = source;
    this.initSeg = null;
    this.merger.reset();
    this.gop = [];
    this.gopBytes = 0;
    this.untap = source.tap(this);
  }

  add(socket: WebSocket): void {
    const viewer: Viewer = { socket, waiting: true, behindSince: null };
    this.viewers.set(socket, viewer);
    if (this.initSeg) this.start(viewer, true);
  }

  remove(socket: WebSocket): void {
    this.viewers.delete(socket);
  }

  close(): void {
    this.untap?.();
    this.untap = null;
    for (const v of this.viewers.values()) v.socket.close(1001, 'hub stopping');
    this.viewers.clear();
  }

  init(init: Fmp4Init): void {
    this.initSeg = init;
    this.mime = mseMime(init);
    this.merger.reset();
    this.gop = [];
    this.gopBytes = 0;
    for (const v of this.viewers.values()) this.start(v, false);
  }

  fragment(fragment: Fmp4Fragment): void {
    this.merger.push(fragment);
  }

  private cache(f: Fmp4Fragment): void {
    if (f.keyframe) {
      this.gop = [f];
      this.gopBytes = f.data.length;
    } else if (this.gop.length > 0) {
      this.gop.push(f);
      this.gopBytes += f.data.length;
    }
    if (this.gopBytes > this.gopLimit) {
      // Too big to hand a new viewer: it waits for the next keyframe instead.
      this.gop = [];
      this.gopBytes = 0;
    }
  }

  /** Send the MIME type and init segment, then the cached GOP (when `withCache`). */
  private start(v: Viewer, withCache: boolean): void {
    const init = this.initSeg;
    if (!init || v.socket.readyState !== v.socket.OPEN) return;
    if (!this.mime) {
      const message: LiveFallbackMessage = { type: 'fallback', reason: `no Media Source type for the camera's codec (${init.codec})` };
      v.socket.send(JSON.stringify(message));
      this.viewers.delete(v.socket);
      v.socket.close(CLOSE_FALLBACK, 'use the MPEG-1 live view');
      return;
    }
    const cached = withCache ? this.gop : [];
    const message: LiveInitMessage = { type: 'init', mime: this.mime, audio: init.audio !== null, fromCache: cached.length > 0 };
    v.socket.send(JSON.stringify(message));
    v.socket.send(init.data);
    v.waiting = cached.length === 0;
    for (const f of cached) v.socket.send(f.data);
  }

  private deliver(v: Viewer, f: Fmp4Fragment): void {
    const socket = v.socket;
    if (socket.readyState !== socket.OPEN || !this.initSeg || !this.mime) return;
    const buffered = socket.bufferedAmount;
    const bound = this.opts.maxViewerBufferBytes;
    const now = Date.now();
    if (buffered > bound) {
      if (v.behindSince === null) v.behindSince = now;
      if (buffered > 2 * bound || now - v.behindSince > BEHIND_GRACE_MS) {
        this.drop(v, buffered, now - v.behindSince);
        return;
      }
      if (!v.waiting) {
        v.waiting = true;
        this.opts.counters.keyframeSkips++;
      }
      return;
    }
    v.behindSince = null;
    if (v.waiting) {
      if (!f.keyframe) return;
      v.waiting = false;
    }
    socket.send(f.data);
  }

  private drop(v: Viewer, buffered: number, behindMs: number): void {
    this.opts.log.warn(
      { bufferedBytes: buffered, behindMs, limit: this.opts.maxViewerBufferBytes, mode: 'mse' },
      'live viewer too slow for the stream; disconnecting it',
    );
    this.opts.counters.slowViewersDropped++;
    this.viewers.delete(v.socket);
    v.socket.close(CLOSE_TOO_SLOW, 'connection too slow for live video');
    // A close frame cannot get past a full buffer: end the socket after a short grace.
    setTimeout(() => v.socket.terminate(), 2000).unref();
  }
}
