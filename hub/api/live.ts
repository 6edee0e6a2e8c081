/**
 * Live view over `GET /api/cameras/:id/live?mode=mse|mpeg1` (a WebSocket, owner only). In `mse`
 * mode the hub sends a text message first, then binary fMP4: the init segment and fragments from
 * a video keyframe on; after a camera reconnects another `init` message and init segment follow.
 * Close codes: 4401 not signed in, 4403 not the owner, 4404 no such stream, 4415 use `mpeg1`
 * (after a `fallback` message), 4429 the connection is too slow for the stream.
 */
export type LiveMode = 'mse' | 'mpeg1';

/** Before each init segment: the MIME type a SourceBuffer needs for what follows. */
export interface LiveInitMessage {
  type: 'init';
  /** e.g. `video/mp4; codecs="avc1.64001f,mp4a.40.2"` */
  mime: string;
  /** The stream carries sound. */
  audio: boolean;
  /** The fragments that follow start from the hub's GOP cache (some way behind the live edge). */
  fromCache: boolean;
}

/** The camera's stream cannot go to Media Source as it is (an unusual codec): use `mpeg1`. */
export interface LiveFallbackMessage {
  type: 'fallback';
  reason: string;
}

export type LiveMessage = LiveInitMessage | LiveFallbackMessage;
