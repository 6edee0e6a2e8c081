/**
 * Live view through Media Source Extensions: the camera's own H.264 (and AAC), passed through by
 * the hub as fragmented MP4 over `/api/cameras/:id/live?mode=mse`, appended to a SourceBuffer
 * (ManagedMediaSource on iOS 17.1+). Kept near the live edge, with old media trimmed so a phone
 * left on the doorbell page does not fill its memory. The socket reconnects after a drop.
 */
import type { LiveMessage } from '../../../hub/api/live.js';

type MediaSourceCtor = typeof MediaSource;

/** ManagedMediaSource (iOS 17.1+, and newer Chromium) where there is one, else MediaSource. */
export function mediaSourceCtor(): MediaSourceCtor | null {
  const w = window as unknown as { ManagedMediaSource?: MediaSourceCtor; MediaSource?: MediaSourceCtor };
  return w.ManagedMediaSource ?? w.MediaSource ?? null;
}

/** Whether this browser can take H.264 in MP4 through Media Source (the stream's exact type is checked again). */
export function mseCapable(): boolean {
  const ctor = mediaSourceCtor();
  return ctor?.isTypeSupported('video/mp4; codecs="avc1.42E01E"') === true;
}

/** Further behind the newest media than this, playback jumps to the live edge. */
const MAX_LAG_S = 1.5;
/**
 * Just after a start the GOP cache arrives at once (up to a GOP behind the camera): then any lag
 * past this jumps, or playback would stay up to a GOP behind for good.
 */
const START_LAG_S = 0.5;
const START_WINDOW_MS = 3000;
const EDGE_OFFSET_S = 0.3;
/** Media older than this behind the playhead is removed (trimmed in 10 s steps). */
const KEEP_S = 30;
const RECONNECT_MS = 2000;
const STALLED_MS = 4000;
/** Close codes after which reconnecting cannot help (signed out, not the owner, no camera). */
const FINAL_CLOSE = new Set([4401, 4403, 4404]);

export interface MsePlayerEvents {
  /** The first frame decoded (and again after each reset). */
  onPlaying(playing: boolean): void;
  /** No new media for a while (the camera or the connection dropped): the picture is not live. */
  onStalled(stalled: boolean): void;
  /** The stream carries sound (the unmute button shows); `mime` is the SourceBuffer's type. */
  onAudio(audio: boolean, mime: string): void;
  /** This stream cannot be played through Media Source here: use the MPEG-1 path. */
  onFallback(reason: string): void;
}

export class MsePlayer {
  private ws: WebSocket | null = null;
  private source: MediaSource | null = null;
  private objectUrl: string | null = null;
  private buffer: SourceBuffer | null = null;
  private queue: ArrayBuffer[] = [];
  private destroyed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private lastDataAt = Date.now();
  private resetAt = 0;
  private stalled = false;
  private readonly edgeTimer: ReturnType<typeof setInterval>;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly url: string,
    private readonly events: MsePlayerEvents,
  ) {
    // ManagedMediaSource opens only for a video that will not be sent to AirPlay.
    video.disableRemotePlayback = true;
    video.addEventListener('loadeddata', this.onFrame);
    video.addEventListener('playing', this.onFrame);
    this.edgeTimer = setInterval(() => {
      this.keepLive();
      const stalled = Date.now() - this.lastDataAt > STALLED_MS;
      if (stalled !== this.stalled) {
        this.stalled = stalled;
        this.events.onStalled(stalled);
      }
    }, 500);
    this.connect();
  }

  destroy(): void {
    this.destroyed = true;
    clearInterval(this.edgeTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.video.removeEventListener('loadeddata', this.onFrame);
    this.video.removeEventListener('playing', this.onFrame);
    this.ws?.close();
    this.ws = null;
    this.detach();
  }

  private readonly onFrame = () => {
    if (this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && this.video.videoWidth > 0) this.events.onPlaying(true);
  };

  private connect(): void {
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data === 'string') this.onMessage(JSON.parse(e.data) as LiveMessage);
      else this.onData(e.data);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws || this.destroyed) return;
      this.ws = null;
      if (e.code === 4415) {
        this.events.onFallback(e.reason || 'the hub cannot pass this stream through');
        return;
      }
      if (FINAL_CLOSE.has(e.code)) return;
      this.reconnectTimer = setTimeout(() => this.connect(), RECONNECT_MS);
    };
  }

  private onMessage(msg: LiveMessage): void {
    if (msg.type === 'fallback') {
      this.events.onFallback(msg.reason);
      return;
    }
    const ctor = mediaSourceCtor();
    if (!ctor?.isTypeSupported(msg.mime)) {
      // e.g. H.265 on a browser that cannot decode it: the MPEG-1 path re-encodes it.
      this.ws?.close();
      this.ws = null;
      this.events.onFallback(`this browser cannot play ${msg.mime}`);
      return;
    }
    this.events.onAudio(msg.audio, msg.mime);
    this.reset(ctor, msg.mime);
  }

  /** A new init segment (a new connection, or the camera reconnected): a fresh MediaSource. */
  private reset(ctor: MediaSourceCtor, mime: string): void {
    this.detach();
    this.events.onPlaying(false);
    this.resetAt = Date.now();
    const source = new ctor();
    this.source = source;
    this.objectUrl = URL.createObjectURL(source);
    this.video.src = this.objectUrl;
    source.addEventListener('sourceopen', () => {
      if (this.source !== source) return;
      const buffer = source.addSourceBuffer(mime);
      buffer.mode = 'segments';
      buffer.addEventListener('updateend', () => {
        this.keepLive();
        this.pump();
      });
      buffer.addEventListener('error', () => this.events.onFallback('the browser could not decode the stream'));
      this.buffer = buffer;
      this.pump();
    });
  }

  private detach(): void {
    this.buffer = null;
    this.queue = [];
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
    this.source = null;
    this.video.removeAttribute('src');
    this.video.load();
  }

  private onData(data: ArrayBuffer): void {
    if (!this.source) return;
    this.lastDataAt = Date.now();
    this.queue.push(data);
    this.pump();
  }

  /** Append the next piece when the SourceBuffer is idle; trim old media first when there is much. */
  private pump(): void {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || this.source?.readyState !== 'open') return;
    const b = buffer.buffered;
    if (b.length > 0) {
      const start = b.start(0);
      const keepFrom = Math.min(this.video.currentTime, b.end(b.length - 1)) - KEEP_S;
      if (keepFrom - start > 10) {
        buffer.remove(start, keepFrom);
        return;
      }
    }
    const next = this.queue.shift();
    if (!next) return;
    try {
      buffer.appendBuffer(next);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'QuotaExceededError' && b.length > 0) {
        // Full: drop what is behind the playhead and try again.
        this.queue.unshift(next);
        buffer.remove(b.start(0), Math.max(b.start(0) + 0.1, this.video.currentTime - 1));
        return;
      }
      this.events.onFallback(`the browser refused the stream (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  /** Stay within MAX_LAG_S of the newest media (also the jump in after starting from the GOP cache). */
  private keepLive(): void {
    const b = this.buffer?.buffered;
    if (!b || b.length === 0) return;
    const last = b.length - 1;
    const end = b.end(last);
    const t = this.video.currentTime;
    let inside = false;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) && t <= b.end(i)) inside = true;
    const maxLag = Date.now() - this.resetAt < START_WINDOW_MS ? START_LAG_S : MAX_LAG_S;
    if (!inside || end - t > maxLag) this.video.currentTime = Math.max(b.start(last), end - EDGE_OFFSET_S);
    if (this.video.paused) {
      this.video.play().then(
        () => undefined,
        // Autoplay of a muted video is allowed everywhere; a refusal is logged, the still stays.
        (err: unknown) => console.warn('live video did not start', err),
      );
    }
  }
}
