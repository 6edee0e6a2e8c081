/**
 * Shared set-up for the Web Push tests: a real hub (every core module, SQLite in a temp dir,
 * embedded broker, HTTP) whose push module trusts the loopback push service of
 * test/helpers/push-service.ts, the sia-dc09 plugin pointed at the DC-09 receiver (for "ask me
 * first"), and helpers to switch notifications on and subscribe a device as a browser would.
 */

import { coreModules } from '../../../hub/modules.js';
import { PushModule } from '../../../hub/push/push-module.js';
import { SiaDc09Plugin } from '../../../plugins/sia-dc09/plugin.js';
import type { ApiClient } from '../../helpers/api-client.js';
import type { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { startTestHub, type TestHub, type TestHubOptions } from '../../helpers/hub.js';
import type { BrowserSubscription, PushServiceTestPeer } from '../../helpers/push-service.js';
import { ACCOUNT, BACK_WINDOW, FRONT_DOOR } from '../alerts/alert-hub.js';

export interface PushHubOptions {
  peer: PushServiceTestPeer;
  receiver: Dc09TestReceiver;
  dataDir?: string;
  keepDataDir?: boolean;
  clock?: TestHubOptions['clock'];
  push?: Record<string, unknown>;
  alerts?: Record<string, unknown>;
  uiDir?: string;
}

export function startPushHub(o: PushHubOptions): Promise<TestHub> {
  const agent = o.peer.agent;
  if (!agent) throw new Error('start the push service first');
  return startTestHub({
    config: {
      home: { name: 'Test home', address: '1 Example Street, Exampletown', coordinates: '51.5007,-0.1246' },
      alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0 },
      alerts: {
        askTimeoutSeconds: 2,
        retryInitialMs: 100,
        retryMaxSeconds: 1,
        videoConfirmationSeconds: 2,
        attemptTimeoutSeconds: 3,
        ...o.alerts,
      },
      push: { personCooldownSeconds: 60, attemptTimeoutSeconds: 3, ...o.push },
      sensors: [FRONT_DOOR, BACK_WINDOW],
      plugins: {
        'sia-dc09': {
          enabled: true,
          host: '127.0.0.1',
          port: o.receiver.port,
          account: ACCOUNT,
          receiver: '12',
          line: '3',
          ackTimeoutMs: 400,
          linkTestSeconds: 0,
        },
      },
    },
    plugins: [new SiaDc09Plugin()],
    modules: coreModules().map((m) => (m.name === 'push' ? new PushModule({ agent }) : m)),
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    ...(o.keepDataDir ? { keepDataDir: true } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.uiDir ? { uiDir: o.uiDir } : {}),
  });
}

/** Switch notifications on ("Where your information goes") and tell the peer the hub's VAPID key. */
export async function notificationsOn(owner: ApiClient, peer: PushServiceTestPeer, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await owner.put('/api/consent', { ...extra, channels: { push: { on: true }, ...((extra.channels as object) ?? {}) } });
  if (r.status !== 200) throw new Error(`consent change failed: ${r.status} ${JSON.stringify(r.body)}`);
  const key = await owner.get<{ publicKey: string }>('/api/push/key');
  peer.setAppServerKey(key.body.publicKey);
}

/** What the Settings page does: the browser's subscription, sent to the hub. */
export async function subscribeDevice(
  owner: ApiClient,
  sub: BrowserSubscription,
  discreet: boolean,
  device = 'Chrome on Android',
): Promise<string> {
  const r = await owner.post<{ id: string }>('/api/push/subscriptions', {
    endpoint: sub.endpoint,
    expirationTime: null,
    keys: sub.keys,
    device,
    discreet,
  });
  if (r.status !== 200) throw new Error(`subscribe failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}
