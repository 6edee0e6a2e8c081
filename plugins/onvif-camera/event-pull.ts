/**
 * ONVIF events through a PullPoint: CreatePullPointSubscription, then PullMessages in a loop
 * (each followed by Renew, as Axis and others require), Unsubscribe on stop. Our own loop rather
 * than the package's so stop() is prompt and every failure is logged and retried with backoff.
 * Notifications become hub events: motion, doorbell press / digital input, tamper.
 */
import type { Agent } from 'node:http';
import type { Cam } from 'onvif';
import { describeError, type EventBus, type Logger } from '../../hub/api/index.js';
import { call } from './onvif-client.js';

export type CameraSignal = { kind: 'motion' | 'tamper'; active: boolean } | { kind: 'doorbell' };

interface SimpleItem {
  $?: { Name?: string; Value?: unknown };
}
interface NotificationLike {
  topic?: { _?: string } | string;
  message?: { message?: { $?: { PropertyOperation?: string }; data?: { simpleItem?: SimpleItem | SimpleItem[] } } };
}

function isActive(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && /^(true|1|active|on)$/i.test(v));
}

/** Data items that carry the state, by what cameras call them (Hikvision IsMotion, Dahua/Reolink State, Axis state/active). */
const STATE_ITEM = /^(State|IsMotion|IsTamper|IsInside|LogicalState|active|Value)$/i;

/** What an ONVIF notification means for the hub (null: a topic the hub does not use). */
export function mapNotification(n: NotificationLike): CameraSignal | null {
  const topic = typeof n.topic === 'string' ? n.topic : (n.topic?._ ?? '');
  const message = n.message?.message;
  const raw = message?.data?.simpleItem;
  const items = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const item = items.find((i) => STATE_ITEM.test(String(i.$?.Name ?? ''))) ?? items[0];
  const active = isActive(item?.$?.Value);
  // Hikvision reports a covered lens as UserAlarm/VideoCover.
  if (/Tamper|GlobalSceneChange|VideoCover/i.test(topic)) return { kind: 'tamper', active };
  if (/DigitalInput|Doorbell|Visitor|Call(Button)?$/i.test(topic)) {
    // On subscribing, cameras send every property's current state as "Initialized": that is not a press.
    if (message?.$?.PropertyOperation === 'Initialized') return null;
    return active ? { kind: 'doorbell' } : null;
  }
  // Axis doorbells and cameras report their PIR sensor as Device/tnsaxis:Sensor/PIR.
  if (/Motion|\/PIR$/i.test(topic)) return { kind: 'motion', active };
  return null;
}

export class PullPointLoop {
  private stopped = false;
  private subscribed = false;
  private running: Promise<void> | null = null;
  private backoffMs = 500;
  private wake: (() => void) | null = null;

  constructor(
    private readonly cam: Cam,
    private readonly agent: Agent,
    private readonly cameraId: string,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly source: string,
    private readonly maxBackoffMs: number,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.subscribed) {
          await call((cb) => this.cam.createPullPointSubscription(cb));
          this.subscribed = true;
          this.log.info({ camera: this.cameraId }, 'subscribed to camera events (PullPoint)');
        }
        const data = await call<{ notificationMessage?: NotificationLike | NotificationLike[] }>((cb) =>
          this.cam.pullMessages({ messageLimit: 10 }, cb),
        );
        if (this.stopped) break;
        const msgs = data?.notificationMessage;
        for (const m of Array.isArray(msgs) ? msgs : msgs ? [msgs] : []) this.deliver(m);
        await call((cb) => this.cam.renew({}, cb));
        this.backoffMs = 500;
      } catch (err) {
        if (this.stopped) break;
        this.subscribed = false;
        this.log.warn(
          { camera: this.cameraId, err: describeError(err), retryMs: this.backoffMs },
          'camera event subscription failed; retrying',
        );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.backoffMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
        this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs * 2);
      }
    }
  }

  private deliver(n: NotificationLike): void {
    const signal = mapNotification(n);
    if (!signal) {
      this.log.debug({ camera: this.cameraId, topic: typeof n.topic === 'string' ? n.topic : n.topic?._ }, 'camera event not used');
      return;
    }
    const base = { source: this.source, cameraId: this.cameraId };
    if (signal.kind === 'doorbell') this.bus.emit('camera.doorbell', base);
    else if (signal.kind === 'motion') this.bus.emit('camera.motion', { ...base, active: signal.active });
    else this.bus.emit('camera.tamper', { ...base, active: signal.active });
  }

  /** Unsubscribe (best effort, bounded), then abort the pending pull by closing our sockets. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.subscribed) {
      this.subscribed = false;
      try {
        await Promise.race([
          call((cb) => this.cam.unsubscribe(cb, true)),
          new Promise((_, reject) => setTimeout(() => reject(new Error('unsubscribe timed out')), 2000)),
        ]);
      } catch (err) {
        this.log.info({ camera: this.cameraId, err: describeError(err) }, 'camera did not confirm unsubscribe');
      }
    }
    this.agent.destroy();
    await this.running;
  }
}
