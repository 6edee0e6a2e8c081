/** What hub modules (alarm, recorder, consent, evidence, ...) are given when they start. */

import type { AlertChannelRegistry } from './alerts/channels.js';
import type { EventBus } from './api/events.js';
import type { Clock, HubServices, Logger } from './api/plugin.js';
import type { Liveness } from './appliance/liveness.js';
import type { AuditLog } from './audit/audit-log.js';
import type { Accounts } from './auth/accounts.js';
import type { HubConfig } from './config/schema.js';
import type { HubDeviceRegistry } from './devices/registry.js';
import type { EventLog } from './events/event-log.js';
import type { HealthRegistry } from './health/health.js';
import type { RouteRegistrar } from './http/routes.js';
import type { FfmpegInfo } from './media/ffmpeg.js';
import type { HubMqttLink } from './mqtt/link.js';
import type { PluginHost } from './plugins-host/plugin-host.js';
import type { VisibilityPolicy } from './policy/policy.js';
import type { CameraAttachments, FrameHub } from './recorder/attachments.js';
import type { Database } from './storage/database.js';
import type { FootageStore } from './storage/footage.js';
import type { Vault } from './vault/vault.js';

export interface HubCore {
  config: Readonly<HubConfig>;
  dataDir: string;
  db: Database;
  bus: EventBus;
  log: Logger;
  clock: Clock;
  health: HealthRegistry;
  audit: AuditLog;
  accounts: Accounts;
  /** Account keys and footage encrypted at rest: seal to write, open with a signed-in key to read. */
  vault: Vault;
  devices: HubDeviceRegistry;
  eventLog: EventLog;
  /** Who sees and hears what: every surface and outbound flow asks it (hub/policy). */
  policy: VisibilityPolicy;
  http: RouteRegistrar;
  mqtt: HubMqttLink;
  mqttUrl: string;
  cameraAttachments: CameraAttachments;
  frameHub: FrameHub;
  alertChannels: AlertChannelRegistry;
  /** Clips and evidence holds (recorder writes, evidence reads). */
  footage: FootageStore;
  services: HubServices;
  /** The running plugins: their settings, and changing them while the hub runs. */
  plugins: PluginHost;
  ffmpeg: FfmpegInfo | null;
  /** Critical loops (recorder, outbox, alarm) register a probe here; the systemd watchdog pings only while they answer. */
  liveness: Liveness;
  /** Another module by name (modules start in order, so only earlier ones are there). */
  module<T extends HubModule>(name: string): T | undefined;
}

/** A concern inside the hub (no vendor knowledge). Registers its routes in `start`. */
export interface HubModule {
  readonly name: string;
  start(core: HubCore): Promise<void>;
  stop(): Promise<void>;
}
