/** The plugins a standard hub runs, in start order. */
import type { HubPlugin } from '../hub/api/index.js';
import { MqttSensorsPlugin } from '../plugins/mqtt-sensors/index.js';

export function builtinPlugins(): HubPlugin<unknown>[] {
  return [new MqttSensorsPlugin()];
}
