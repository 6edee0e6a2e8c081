/** The parts of @cycjimmy/jsmpeg-player the doorbell view uses (the package ships no types). */
declare module '@cycjimmy/jsmpeg-player' {
  export interface JSMpegPlayerOptions {
    canvas?: HTMLCanvasElement;
    audio?: boolean;
    autoplay?: boolean;
    loop?: boolean;
    videoBufferSize?: number;
    onSourceEstablished?: () => void;
    onVideoDecode?: () => void;
  }
  export interface JSMpegPlayer {
    destroy(): void;
    play(): void;
    pause(): void;
  }
  const JSMpeg: {
    Player: new (url: string, options: JSMpegPlayerOptions) => JSMpegPlayer;
  };
  export default JSMpeg;
}
