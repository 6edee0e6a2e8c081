/** The plugins a standard hub runs, in start order. */
import { personDetectorPlugin } from '../detectors/index.js';
import type { HubPlugin } from '../hub/api/index.js';
import { MqttAlertsPlugin } from '../plugins/mqtt-alerts/index.js';
import { MqttSensorsPlugin } from '../plugins/mqtt-sensors/index.js';
import { OnvifCameraPlugin } from '../plugins/onvif-camera/index.js';
import { PowerSensePlugin } from '../plugins/power-sense/index.js';
import { SiaDc09Plugin } from '../plugins/sia-dc09/plugin.js';
import { WebhookPlugin } from '../plugins/webhook/index.js';

export function builtinPlugins(): HubPlugin<unknown>[] {
  return [
    new MqttSensorsPlugin(),
    new OnvifCameraPlugin(),
    new SiaDc09Plugin(),
    new WebhookPlugin(),
    new PowerSensePlugin(),
    new MqttAlertsPlugin(),
    personDetectorPlugin(),
  ];
}
