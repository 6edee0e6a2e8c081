/**
 * Live camera view: MPEG-1 over the hub's WebSocket (`/api/cameras/:id/live`) decoded by JSMpeg
 * into a canvas, all bundled (no CDN). Until the first frame arrives, a still snapshot shows.
 */
import JSMpeg, { type JSMpegPlayer } from '@cycjimmy/jsmpeg-player';
import { useEffect, useRef, useState } from 'preact/hooks';

export function LiveView(props: { cameraId: string; name: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [playing, setPlaying] = useState(false);
  const [stamp] = useState(Date.now());
  useEffect(() => {
    if (!canvas.current) return undefined;
    setPlaying(false);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let player: JSMpegPlayer | null = new JSMpeg.Player(
      `${proto}//${location.host}/api/cameras/${encodeURIComponent(props.cameraId)}/live`,
      {
        canvas: canvas.current,
        audio: false,
        autoplay: true,
        videoBufferSize: 1024 * 1024,
        onVideoDecode: () => setPlaying(true),
      },
    );
    return () => {
      player?.destroy();
      player = null;
    };
  }, [props.cameraId]);
  return (
    <figure class="live">
      <div class="frame">
        {!playing && (
          <img src={`/api/cameras/${encodeURIComponent(props.cameraId)}/snapshot?t=${stamp}`} alt={`Latest still from ${props.name}`} />
        )}
        <canvas
          ref={canvas}
          class={playing ? '' : 'hidden'}
          aria-label={`Live video from ${props.name}`}
          data-testid="live-canvas"
          data-playing={String(playing)}
        />
      </div>
      <figcaption>{playing ? `${props.name}: live` : `${props.name}: connecting…`}</figcaption>
    </figure>
  );
}
