/**
 * Cameras for the recorder. For each enabled camera in the device registry: an ONVIF camera is
 * connected with its credentials (profiles, main and sub stream URIs, snapshot URI) and its
 * events are pulled (doorbell press, motion, tamper); a plain RTSP camera's URLs pass straight
 * through. The resolved streams go to the recorder with `services.cameras.attach`, credentials
 * kept apart from the URLs. Cameras added, changed or removed later are followed.
 */
import {
  CAMERA_CLOCK_DRIFT_WARN_MS,
  type CameraDevice,
  type Disposer,
  describeError,
  HubError,
  type HubPlugin,
  type OnvifCameraSource,
  type PluginContext,
} from '../../hub/api/index.js';
import { type OnvifCameraConfig, onvifCameraConfigSchema } from './config.js';
import { discoverCameras } from './discovery.js';
import { PullPointLoop } from './event-pull.js';
import { type CameraClockReading, connectCamera, readCameraClock } from './onvif-client.js';

interface Link {
  key: string;
  detach: Disposer | null;
  events: PullPointLoop | null;
  retry: NodeJS.Timeout | null;
  backoffMs: number;
  closed: boolean;
  problem: string | null;
  /** The last reading of the camera's clock (ONVIF), and the timer of the next one. */
  clock: CameraClockReading | null;
  clockTimer: NodeJS.Timeout | null;
}

export class OnvifCameraPlugin implements HubPlugin<OnvifCameraConfig> {
  readonly id = 'onvif-camera';
  readonly configSchema = onvifCameraConfigSchema;
  private ctx: PluginContext<OnvifCameraConfig> | null = null;
  private readonly links = new Map<string, Link>();
  private readonly disposers: Disposer[] = [];

  async start(ctx: PluginContext<OnvifCameraConfig>): Promise<void> {
    this.ctx = ctx;
    const { services, config } = ctx;
    if (config.discovery) this.disposers.push(services.cameras.provideDiscovery(this.id, (ms) => discoverCameras(ms, ctx.log)));
    this.disposers.push(
      services.cameras.provideResolver('onvif', this.id, async (source, timeoutMs) => {
        const c = await connectCamera(source, timeoutMs, ctx.log);
        c.agent.destroy();
        return c.streams;
      }),
    );
    this.disposers.push(services.devices.onChange(this.id, () => this.reconcile()));
    this.reconcile();
  }

  private reconcile(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const wanted = new Map(
      ctx.services.devices
        .cameras()
        .filter((c) => c.enabled)
        .map((c) => [c.id, c]),
    );
    for (const [id, link] of this.links) {
      const cam = wanted.get(id);
      if (!cam || linkKey(cam) !== link.key) this.unlink(id);
    }
    for (const cam of wanted.values()) if (!this.links.has(cam.id)) this.link(cam);
    this.reportHealth();
  }

  private link(cam: CameraDevice): void {
    const link: Link = {
      key: linkKey(cam),
      detach: null,
      events: null,
      retry: null,
      backoffMs: 1000,
      closed: false,
      problem: null,
      clock: null,
      clockTimer: null,
    };
    this.links.set(cam.id, link);
    const src = cam.source;
    if (src.type === 'rtsp') {
      link.detach = this.services().cameras.attach({
        cameraId: cam.id,
        mainUrl: src.mainUrl,
        subUrl: src.subUrl,
        snapshotUrl: src.snapshotUrl,
        // Kept apart from the URLs: the recorder hands ffmpeg a loopback relay URL, never these.
        username: src.username || null,
        password: src.password || null,
      });
      return;
    }
    this.connectOnvif(cam.id, src, link);
  }

  private connectOnvif(cameraId: string, source: OnvifCameraSource, link: Link): void {
    const ctx = this.ctx;
    if (!ctx || link.closed) return;
    const log = ctx.log.child({ camera: cameraId });
    connectCamera(source, ctx.config.connectTimeoutMs, log).then(
      (c) => {
        if (link.closed) {
          c.agent.destroy();
          return;
        }
        link.problem = null;
        link.backoffMs = 1000;
        link.detach = ctx.services.cameras.attach({ cameraId, ...c.streams });
        log.info(
          { host: source.host, port: source.port, sub: c.streams.subUrl !== null, snapshot: c.streams.snapshotUrl !== null },
          'ONVIF camera connected',
        );
        this.noteClock(cameraId, link, c.clock);
        if (ctx.config.events) {
          link.events = new PullPointLoop(c.cam, c.agent, cameraId, ctx.bus, log, this.id, ctx.config.maxRetryMs);
          link.events.start();
          // Otherwise its sockets are closed now; a later clock check opens a new one through it.
        } else c.agent.destroy();
        this.scheduleClockCheck(cameraId, link, c.cam);
        this.reportHealth();
      },
      (err: unknown) => {
        if (link.closed) return;
        link.problem = describeError(err);
        log.warn({ host: source.host, port: source.port, err: link.problem, retryMs: link.backoffMs }, 'ONVIF camera connection failed');
        this.reportHealth();
        link.retry = setTimeout(() => {
          link.retry = null;
          this.connectOnvif(cameraId, source, link);
        }, link.backoffMs);
        link.backoffMs = Math.min(ctx.config.maxRetryMs, link.backoffMs * 2);
      },
    );
  }

  /** Keep the camera's clock reading, put it in the event log (evidence packages state it) and health. */
  private noteClock(cameraId: string, link: Link, clock: CameraClockReading | null): void {
    const ctx = this.ctx;
    if (!ctx || link.closed) return;
    link.clock = clock;
    if (!clock) {
      ctx.log.info({ camera: cameraId }, 'the camera does not state its UTC time over ONVIF');
      return;
    }
    ctx.bus.emit('camera.clock', {
      source: this.id,
      cameraId,
      offsetMs: clock.offsetMs,
      uncertaintyMs: clock.uncertaintyMs,
      ntp: clock.ntp,
      method: 'onvif',
    });
  }

  /** Read the camera's clock again every `clockCheckSeconds` while it stays linked. */
  private scheduleClockCheck(cameraId: string, link: Link, cam: Parameters<typeof readCameraClock>[0]): void {
    const ctx = this.ctx;
    if (!ctx || link.closed) return;
    link.clockTimer = setTimeout(() => {
      link.clockTimer = null;
      readCameraClock(cam)
        .then(
          (clock) => {
            this.noteClock(cameraId, link, clock);
            this.reportHealth();
          },
          (err: unknown) =>
            ctx.log.warn({ camera: cameraId, err: describeError(err) }, 'could not read the camera clock; trying again later'),
        )
        .finally(() => this.scheduleClockCheck(cameraId, link, cam));
    }, ctx.config.clockCheckSeconds * 1000);
    link.clockTimer.unref();
  }

  private unlink(id: string): void {
    const link = this.links.get(id);
    if (!link) return;
    this.links.delete(id);
    this.closeLink(id, link).then(undefined, (err: unknown) =>
      this.ctx?.log.error({ camera: id, err: describeError(err) }, 'camera link did not close cleanly'),
    );
  }

  private async closeLink(_id: string, link: Link): Promise<void> {
    link.closed = true;
    if (link.retry) clearTimeout(link.retry);
    if (link.clockTimer) clearTimeout(link.clockTimer);
    link.detach?.();
    link.detach = null;
    await link.events?.stop();
  }

  private reportHealth(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const failing = [...this.links.entries()].filter(([, l]) => l.problem !== null);
    const drifting = [...this.links.entries()].flatMap(([id, l]) =>
      l.problem === null && l.clock && Math.abs(l.clock.offsetMs) > CAMERA_CLOCK_DRIFT_WARN_MS + l.clock.uncertaintyMs
        ? [`${id}: ${clockWords(l.clock)}`]
        : [],
    );
    const problems = [...failing.map(([id, l]) => `${id}: ${l.problem}`), ...drifting];
    if (problems.length === 0) ctx.health.report('ok', `${this.links.size} camera(s) linked`);
    else ctx.health.report('degraded', problems.join('; '));
  }

  private services() {
    if (!this.ctx) throw new HubError('HUB_ERR_INTERNAL', 'onvif-camera plugin is not started');
    return this.ctx.services;
  }

  async stop(): Promise<void> {
    for (const d of this.disposers.splice(0)) d();
    const all = [...this.links.entries()];
    this.links.clear();
    await Promise.all(all.map(([id, l]) => this.closeLink(id, l)));
    this.ctx = null;
  }
}

/** A drifted camera clock in the installer's words. */
export function clockWords(c: CameraClockReading): string {
  const s = Math.abs(c.offsetMs) / 1000;
  const amount = s >= 86_400 ? `${(s / 86_400).toFixed(1)} days` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${s.toFixed(1)} s`;
  return (
    `the camera's clock is ${amount} ${c.offsetMs > 0 ? 'ahead of' : 'behind'} the hub's (ONVIF); ` +
    (c.ntp ? 'it says it uses NTP: check its NTP server' : 'set the camera to use NTP')
  );
}

/** A change to any of these re-attaches the camera, so the recorder restarts with the new settings. */
function linkKey(c: CameraDevice): string {
  return JSON.stringify([c.source, c.detect, c.record]);
}
