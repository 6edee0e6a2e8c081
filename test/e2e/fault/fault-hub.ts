/**
 * A whole hub in its own process for the fault-injection test and benchmark: every core module,
 * the MQTT sensors and SIA DC-09 plugins against an external mosquitto and a test ARC, one RTSP
 * camera. Prints one JSON line when started and another when the camera's first segment is
 * written, then runs until killed (SIGKILL: no clean stop, as when the plug is pulled).
 * argv: dataDir mqttPort arcPort rtspUrl
 */
import { Hub } from '../../../hub/app.js';
import { validateConfig } from '../../../hub/config/load.js';
import { MqttSensorsPlugin } from '../../../plugins/mqtt-sensors/index.js';
import { SiaDc09Plugin } from '../../../plugins/sia-dc09/plugin.js';
import { testConfig } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';
import { cameraSeed } from '../../hub/recorder/harness.js';

const [dataDir, mqttPort, arcPort, rtspUrl] = process.argv.slice(2) as [string, string, string, string];
const hub = new Hub({
  config: validateConfig(
    testConfig({
      mqtt: { url: `mqtt://127.0.0.1:${mqttPort}` },
      sensors: [
        {
          id: 'front-door',
          name: 'Front door',
          location: 'Hallway',
          kind: 'door',
          entryRoute: true,
          source: { type: 'zigbee2mqtt', friendlyName: 'front_door' },
          checkInSeconds: 600,
        },
        {
          id: 'panic-button',
          name: 'Bedside button',
          location: 'Bedroom',
          kind: 'button',
          source: { type: 'zigbee2mqtt', friendlyName: 'bedside_button' },
          panicActions: ['hold'],
          checkInSeconds: 600,
        },
      ],
      cameras: [cameraSeed('door', rtspUrl, { record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false } })],
      recorder: { segmentSeconds: 2, offlineAfterSeconds: 6, minFreeBytes: 0, retentionIntervalSeconds: 3600 },
      alarm: { exitDelaySeconds: 0, entryDelaySeconds: 0, sirenMaxSeconds: 5 },
      alerts: { retryInitialMs: 100 },
      plugins: {
        'sia-dc09': { enabled: true, port: Number(arcPort), account: '1234', linkTestSeconds: 0 },
        'mqtt-sensors': { offlineCheckMs: 1000 },
      },
    }),
  ),
  plugins: [new MqttSensorsPlugin(), new SiaDc09Plugin()],
  log: new LogCapture(process.env.FAULT_HUB_LOG ?? 'warn').logger,
  dataDir,
  uiDir: null,
});
const started = await hub.start();
let told = false;
hub.core.bus.on('segment.written', 'fault-hub', () => {
  if (told) return;
  told = true;
  process.stdout.write(`${JSON.stringify({ recording: true })}\n`);
});
hub.core.cameraAttachments.attach({ cameraId: 'door', mainUrl: rtspUrl, subUrl: null, snapshotUrl: null, username: null, password: null });
process.stdout.write(`${JSON.stringify(started)}\n`);
