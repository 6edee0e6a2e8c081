/**
 * Live camera view over the hub's WebSocket (`/api/cameras/:id/live`). Where the browser has Media
 * Source Extensions for H.264 (ManagedMediaSource on iOS 17.1+), the camera's own stream plays in
 * a <video> without re-encoding (mse-player.ts); otherwise, or when the stream's codec is one the
 * browser cannot decode, the hub re-encodes to MPEG-1 for JSMpeg in a canvas (all bundled, no
 * CDN). Until the first frame decodes, a still snapshot shows.
 */
import JSMpeg, { type JSMpegPlayer } from '@cycjimmy/jsmpeg-player';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveMode } from '../../../hub/api/live.js';
import { MsePlayer, mseCapable } from './mse-player.js';

function liveUrl(cameraId: string, mode: LiveMode): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/cameras/${encodeURIComponent(cameraId)}/live?mode=${mode}`;
}

export function LiveView(props: { cameraId: string; name: string }) {
  const [mode, setMode] = useState<LiveMode>(() => (mseCapable() ? 'mse' : 'mpeg1'));
  const [playing, setPlaying] = useState(false);
  const [stalled, setStalled] = useState(false);
  const [audio, setAudio] = useState(false);
  /** The Media Source type of the stream playing (shown as data-mime, for the tests). */
  const [mime, setMime] = useState('');
  const [muted, setMuted] = useState(true);
  const [stamp] = useState(Date.now());
  const canvas = useRef<HTMLCanvasElement>(null);
  const video = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    setMode(mseCapable() ? 'mse' : 'mpeg1');
  }, [props.cameraId]);

  useEffect(() => {
    setPlaying(false);
    setStalled(false);
    setAudio(false);
    setMime('');
    if (mode === 'mse') {
      if (!video.current) return undefined;
      const player = new MsePlayer(video.current, liveUrl(props.cameraId, 'mse'), {
        onPlaying: setPlaying,
        onStalled: setStalled,
        onAudio: (withSound, type) => {
          setAudio(withSound);
          setMime(type);
        },
        onFallback: (reason) => {
          console.info(`live view: using the MPEG-1 fallback (${reason})`);
          setMode('mpeg1');
        },
      });
      return () => player.destroy();
    }
    if (!canvas.current) return undefined;
    let player: JSMpegPlayer | null = new JSMpeg.Player(liveUrl(props.cameraId, 'mpeg1'), {
      canvas: canvas.current,
      audio: false,
      autoplay: true,
      videoBufferSize: 1024 * 1024,
      onVideoDecode: () => setPlaying(true),
    });
    return () => {
      player?.destroy();
      player = null;
    };
  }, [props.cameraId, mode]);

  const toggleSound = () => {
    if (!video.current) return;
    video.current.muted = !video.current.muted;
    setMuted(video.current.muted);
  };

  return (
    <figure
      class="live"
      data-testid="live-view"
      data-mode={mode}
      data-playing={String(playing)}
      data-stalled={String(stalled)}
      data-mime={mime}
    >
      <div class="frame">
        {!playing && (
          <img src={`/api/cameras/${encodeURIComponent(props.cameraId)}/snapshot?t=${stamp}`} alt={`Latest still from ${props.name}`} />
        )}
        {mode === 'mse' ? (
          <video
            ref={video}
            class={playing ? '' : 'hidden'}
            muted
            playsInline
            autoplay
            aria-label={`Live video from ${props.name}`}
            data-testid="live-video"
            data-playing={String(playing)}
          />
        ) : (
          <canvas
            ref={canvas}
            class={playing ? '' : 'hidden'}
            aria-label={`Live video from ${props.name}`}
            data-testid="live-canvas"
            data-playing={String(playing)}
          />
        )}
      </div>
      <figcaption>
        {!playing
          ? `${props.name}: connecting…`
          : stalled
            ? `${props.name}: no new picture, waiting for the camera…`
            : `${props.name}: live`}
        {mode === 'mse' && audio && (
          <button type="button" class="sound" aria-pressed={!muted} onClick={toggleSound}>
            {muted ? 'Turn sound on' : 'Turn sound off'}
          </button>
        )}
      </figcaption>
    </figure>
  );
}
