/**
 * The `onvif` package's callback API as promises, and its errors in the installer's words.
 * Connecting asks the camera (GetSystemDateAndTime, GetServices/GetCapabilities, GetProfiles,
 * GetVideoSources) and then resolves the main and sub stream URIs and the snapshot URI.
 */
import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import onvif, { type Cam } from 'onvif';
import { type CameraStreams, describeError, HubError, type Logger, type OnvifCameraSource } from '../../hub/api/index.js';

export interface ConnectedCamera {
  cam: Cam;
  agent: Agent;
  streams: Omit<CameraStreams, 'cameraId'>;
  /** The camera's clock against the hub's, read at connect (null: the camera did not say its UTC time). */
  clock: CameraClockReading | null;
}

/** The camera's clock as ONVIF GetSystemDateAndTime states it, against the hub's. */
export interface CameraClockReading {
  /** Camera UTC minus hub time, in ms. */
  offsetMs: number;
  /** How far off `offsetMs` may be: the answer is in whole seconds, plus half the round trip. */
  uncertaintyMs: number;
  /** The camera sets its clock from NTP (as it says). */
  ntp: boolean;
  /** Hub time of the reading. */
  at: number;
}

/**
 * The UTC time in a GetSystemDateAndTime answer, or null. Only `UTCDateTime` counts: the
 * `onvif` package falls back to `LocalDateTime` (wrong by the camera's time zone) and to the
 * hub's own clock when neither is there, which would claim a camera is on time.
 */
export function cameraUtcFrom(xml: string): { utcMs: number; ntp: boolean } | null {
  const utc = /<(?:[\w-]+:)?UTCDateTime\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?UTCDateTime>/.exec(xml)?.[1];
  if (!utc) return null;
  const field = (name: string): number | null => {
    const v = new RegExp(`<(?:[\\w-]+:)?${name}\\b[^>]*>\\s*(\\d+)\\s*<`).exec(utc)?.[1];
    return v === undefined ? null : Number(v);
  };
  const [y, mo, d, h, mi, sec] = ['Year', 'Month', 'Day', 'Hour', 'Minute', 'Second'].map(field);
  if (y == null || mo == null || d == null || h == null || mi == null || sec == null) return null;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return null;
  const ntp = /<(?:[\w-]+:)?DateTimeType>\s*NTP\s*</i.test(xml);
  return { utcMs: Date.UTC(y, mo - 1, d, h, mi, sec), ntp };
}

/** Ask the camera its time (GetSystemDateAndTime) and set it against the hub's clock. */
export async function readCameraClock(cam: Cam, now: () => number = Date.now): Promise<CameraClockReading | null> {
  const sent = now();
  const xml = await new Promise<string>((resolve, reject) => {
    cam.getSystemDateAndTime((err, _date, raw) => (err ? reject(err) : resolve(raw ?? '')));
  });
  const back = now();
  const camera = cameraUtcFrom(xml);
  if (!camera) return null;
  // The camera read its clock somewhere in the round trip, in whole seconds (truncated): its
  // true time is in [utc, utc + 1 s) at a hub time in [sent, back].
  const offsetMs = Math.round(camera.utcMs + 500 - (sent + back) / 2);
  return { offsetMs, uncertaintyMs: Math.round(500 + (back - sent) / 2), ntp: camera.ntp, at: back };
}

interface ProfileLike {
  $?: { token?: string };
  videoEncoderConfiguration?: { resolution?: { width?: number; height?: number } };
}

/** Map an error from the onvif package to a HubError with a stable code. */
export function onvifError(err: unknown, host: string): HubError {
  if (err instanceof HubError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  if (/not ?authori[sz]ed|Digest authentication failed|401|Unauthorized/i.test(msg))
    return new HubError('HUB_ERR_CAMERA_AUTH', `the camera at ${host} refused the user name or password`, { cause: err });
  if (
    /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ECONNRESET/.test(code) ||
    /Network timeout|socket hang up|timed out/i.test(msg)
  )
    return new HubError('HUB_ERR_CAMERA_UNREACHABLE', `no ONVIF camera answered at ${host} (${code || msg})`, { cause: err });
  if (/Wrong ONVIF SOAP response|Unrecognized configuration/i.test(msg))
    return new HubError('HUB_ERR_CAMERA', `the device at ${host} does not speak ONVIF as expected: ${msg.slice(0, 120)}`, { cause: err });
  return new HubError('HUB_ERR_CAMERA', `ONVIF camera at ${host}: ${msg.slice(0, 160)}`, { cause: err });
}

/** Largest SOAP answer read from a camera (a GetProfiles of a 16-channel NVR is well under this). */
export const MAX_SOAP_BYTES = 1024 * 1024;

/**
 * An HTTP agent whose sockets give up once a camera has sent more than `maxBytes` (headers and
 * body): the `onvif` package buffers whole answers, and a broken or hostile device could send
 * without end. The request then fails with an error that says so.
 */
export class LimitedAgent extends Agent {
  constructor(private readonly maxBytes = MAX_SOAP_BYTES) {
    super({ keepAlive: false });
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    const socket = (
      Agent.prototype as unknown as { createConnection: (o: ClientRequestArgs, cb?: unknown) => Duplex }
    ).createConnection.call(this, options, callback);
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.maxBytes) {
        socket.destroy(new HubError('HUB_ERR_CAMERA', `the camera's ONVIF answer was longer than ${this.maxBytes} bytes; refused`));
      }
    });
    return socket;
  }
}

function call<T>(fn: (cb: (err: Error | null, data?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, data) => (err ? reject(err) : resolve(data as T)));
  });
}

function area(p: ProfileLike): number {
  const r = p.videoEncoderConfiguration?.resolution;
  return (r?.width ?? 0) * (r?.height ?? 0);
}

export async function connectCamera(source: OnvifCameraSource, timeoutMs: number, log: Logger): Promise<ConnectedCamera> {
  const host = `${source.host}:${source.port}`;
  const agent = new LimitedAgent();
  const cam = new onvif.Cam({
    hostname: source.host,
    port: source.port,
    username: source.username,
    password: source.password,
    timeout: timeoutMs,
    autoconnect: false,
    // Cameras behind NAT or with a wrong own address still answer on the address we used.
    preserveAddress: true,
    agent,
  });
  // The package turns a failed GetProfiles into a warning and goes on with no profiles: keep why.
  let warning: string | null = null;
  (cam as unknown as { on(e: 'warning', fn: (w: unknown) => void): void }).on('warning', (w) => {
    warning = String(w).slice(0, 200);
  });
  try {
    await call<unknown>((cb) => cam.connect(cb));
    let clock: CameraClockReading | null = null;
    try {
      clock = await readCameraClock(cam);
    } catch (err) {
      // The package read it once already to connect: a second failure only loses the reading.
      log.info({ host, err: describeError(onvifError(err, host)) }, 'could not read the camera clock');
    }
    const profiles = ((cam.profiles ?? []) as ProfileLike[]).filter((p) => p.videoEncoderConfiguration && p.$?.token);
    if (profiles.length === 0)
      throw new HubError('HUB_ERR_CAMERA_NOT_VIDEO', `the device at ${host} offers no video profile${warning ? ` (${warning})` : ''}`);
    const sorted = [...profiles].sort((a, b) => area(b) - area(a));
    const main = sorted[0] as ProfileLike;
    const sub = sorted.length > 1 ? (sorted[sorted.length - 1] as ProfileLike) : null;
    const uri = async (token: string | undefined) =>
      (await call<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP', ...(token ? { profileToken: token } : {}) }, cb))).uri;
    const mainUrl = await uri(main.$?.token);
    const subUrl = sub ? await uri(sub.$?.token) : null;
    let snapshotUrl: string | null = null;
    try {
      snapshotUrl = (
        await call<{ uri: string }>((cb) => cam.getSnapshotUri({ ...(main.$?.token ? { profileToken: main.$.token } : {}) }, cb))
      ).uri;
    } catch (err) {
      // Some cameras have no snapshot service: the recorder takes a frame from the stream instead.
      if (onvifError(err, host).code === 'HUB_ERR_CAMERA_AUTH') throw err;
      log.info({ host, err: describeError(onvifError(err, host)) }, 'camera has no snapshot URI; snapshots will come from the stream');
    }
    if (!/^rtsps?:\/\//i.test(mainUrl)) throw new HubError('HUB_ERR_CAMERA_NOT_VIDEO', `the camera at ${host} gave no RTSP stream address`);
    return {
      cam,
      agent,
      clock,
      streams: {
        mainUrl,
        subUrl: subUrl && subUrl !== mainUrl ? subUrl : null,
        snapshotUrl,
        username: source.username || null,
        password: source.password || null,
      },
    };
  } catch (err) {
    agent.destroy();
    throw onvifError(err, host);
  }
}

export { call };
