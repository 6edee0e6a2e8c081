/**
 * Where camera plugins hand resolved streams to the recorder, and where frames flow from the
 * recorder's ffmpeg to detectors. Both are plain in-process registries.
 */
import type { OnvifCameraSource } from '../api/devices.js';
import { describeError, HubError } from '../api/errors.js';
import type { Disposer } from '../api/events.js';
import type { CameraRegistry, CameraSourceResolver, CameraStreams, DiscoveredCamera, Frame, FrameSource, Logger } from '../api/plugin.js';

export class CameraAttachments implements CameraRegistry {
  private readonly attached = new Map<string, CameraStreams>();
  private readonly watchers = new Set<(event: 'attached' | 'detached', streams: CameraStreams) => void>();
  private readonly discoverers = new Map<string, (timeoutMs: number) => Promise<DiscoveredCamera[]>>();
  private readonly resolvers = new Map<string, { owner: string; resolve: CameraSourceResolver }>();

  constructor(private readonly log: Logger) {}

  attach(streams: CameraStreams): Disposer {
    const previous = this.attached.get(streams.cameraId);
    if (previous) this.notify('detached', previous);
    this.attached.set(streams.cameraId, streams);
    this.notify('attached', streams);
    return () => {
      if (this.attached.get(streams.cameraId) === streams) {
        this.attached.delete(streams.cameraId);
        this.notify('detached', streams);
      }
    };
  }

  provideDiscovery(owner: string, discover: (timeoutMs: number) => Promise<DiscoveredCamera[]>): Disposer {
    this.discoverers.set(owner, discover);
    return () => {
      this.discoverers.delete(owner);
    };
  }

  provideResolver(type: OnvifCameraSource['type'], owner: string, resolve: CameraSourceResolver): Disposer {
    const entry = { owner, resolve };
    this.resolvers.set(type, entry);
    return () => {
      if (this.resolvers.get(type) === entry) this.resolvers.delete(type);
    };
  }

  /** Resolve an ONVIF source through the plugin that offers it (throws when none does). */
  async resolve(source: OnvifCameraSource, timeoutMs: number): Promise<Omit<CameraStreams, 'cameraId'>> {
    const r = this.resolvers.get(source.type);
    if (!r) throw new HubError('HUB_ERR_CAMERA', `no camera plugin handles ${source.type} sources (is the onvif-camera plugin enabled?)`);
    return r.resolve(source, timeoutMs);
  }

  async discover(timeoutMs: number): Promise<DiscoveredCamera[]> {
    const results = await Promise.all(
      [...this.discoverers.entries()].map(([owner, d]) =>
        d(timeoutMs).catch((err: unknown) => {
          this.log.warn({ owner, err: describeError(err) }, 'camera discovery failed');
          return [] as DiscoveredCamera[];
        }),
      ),
    );
    return results.flat();
  }

  current(): CameraStreams[] {
    return [...this.attached.values()];
  }

  get(cameraId: string): CameraStreams | undefined {
    return this.attached.get(cameraId);
  }

  watch(fn: (event: 'attached' | 'detached', streams: CameraStreams) => void): Disposer {
    this.watchers.add(fn);
    return () => {
      this.watchers.delete(fn);
    };
  }

  private notify(event: 'attached' | 'detached', streams: CameraStreams): void {
    for (const w of this.watchers) {
      try {
        w(event, streams);
      } catch (err) {
        this.log.error({ camera: streams.cameraId, err: describeError(err) }, 'camera attachment watcher failed');
      }
    }
  }
}

export class FrameHub implements FrameSource {
  private readonly subs = new Map<string, Set<{ owner: string; fn: (f: Frame) => void }>>();

  constructor(private readonly log: Logger) {}

  subscribe(cameraId: string, owner: string, listener: (frame: Frame) => void): Disposer {
    let set = this.subs.get(cameraId);
    if (!set) {
      set = new Set();
      this.subs.set(cameraId, set);
    }
    const entry = { owner, fn: listener };
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  hasSubscribers(cameraId: string): boolean {
    return (this.subs.get(cameraId)?.size ?? 0) > 0;
  }

  publish(frame: Frame): void {
    for (const s of this.subs.get(frame.cameraId) ?? []) {
      try {
        s.fn(frame);
      } catch (err) {
        this.log.error({ owner: s.owner, camera: frame.cameraId, err: describeError(err) }, 'frame listener failed');
      }
    }
  }
}
