/**
 * Demo part: an ONVIF video doorbell on loopback. A GStreamer RTSP server loops the bundled
 * people-walking clip; the ONVIF simulator hands out its stream and snapshot URIs, checks a
 * password generated for this demo run, and presses the doorbell now and then. The camera
 * device is added to the demo config, so the onvif-camera plugin and the recorder pick it up.
 */
import { randomBytes } from 'node:crypto';
import { describeError, HubError } from '../api/errors.js';
import type { DemoPart } from './demo-parts.js';
import { OnvifSim } from './onvif-sim.js';
import { SimRtspServer, simAsset } from './rtsp-server.js';

const CLIP = '../../test/fixtures/media/doorbell-people-walking-768x576-10fps.mp4';
const SNAPSHOT = '../../test/fixtures/media/no-person-building.jpg';

let rtsp: SimRtspServer | null = null;
let onvif: OnvifSim | null = null;

export const doorbellDemoPart: DemoPart = {
  name: 'ONVIF video doorbell (RTSP on loopback)',
  async configure(config) {
    rtsp = new SimRtspServer({ kind: 'gstreamer', file: simAsset(CLIP), mount: '/doorbell/main' });
    await rtsp.start();
    const password = randomBytes(12).toString('base64url');
    onvif = new OnvifSim({ username: 'admin', password, mainStreamUrl: rtsp.url, snapshotFile: simAsset(SNAPSHOT), pullWaitMs: 5000 });
    await onvif.start();
    config.cameras = [
      ...(config.cameras ?? []),
      {
        id: 'doorbell',
        name: 'Front doorbell',
        kind: 'doorbell',
        source: { type: 'onvif', host: '127.0.0.1', port: onvif.port, username: 'admin', password },
        record: { preRollSeconds: 10, postRollSeconds: 10, continuous: false, audio: false },
      },
    ];
  },
  async start(ctx) {
    const cam = onvif;
    const server = rtsp;
    if (!cam || !server) throw new HubError('HUB_ERR_INTERNAL', 'doorbell demo part was not configured');
    ctx.say(`[doorbell] ONVIF doorbell simulator at ${cam.base} streaming ${server.url} (password made for this run)`);
    let timer: NodeJS.Timeout | null = null;
    const schedule = () => {
      // Someone rings every 40-80 s, so clips and person detections keep coming.
      timer = setTimeout(
        () => {
          ctx.say('[sim] someone presses the doorbell');
          cam.pressDoorbell();
          schedule();
        },
        40_000 + Math.random() * 40_000,
      );
    };
    schedule();
    return async () => {
      if (timer) clearTimeout(timer);
      try {
        await cam.stop();
      } catch (err) {
        ctx.log.warn({ err: describeError(err) }, 'doorbell simulator did not stop cleanly');
      }
      await server.stop();
      onvif = null;
      rtsp = null;
    };
  },
};
