/** The doorbell's live view over wss: the same TLS as the app, a client trusting only the hub's CA. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { builtinPlugins } from '../../../app/plugins.js';
import { SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { type ApiClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

const DOORBELL_CLIP = fileURLToPath(new URL('../../fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));

describe('live view over wss', () => {
  let hub: TestHub;
  let camera: SimRtspServer;
  let owner: ApiClient;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    camera = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell' });
    await camera.start();
    hub = await startTestHub({
      tls: true,
      plugins: builtinPlugins(),
      config: {
        recorder: { segmentSeconds: 2, offlineAfterSeconds: 5, minFreeBytes: 0 },
        cameras: [
          {
            id: 'front-door',
            name: 'Front door',
            kind: 'doorbell',
            source: { type: 'rtsp', mainUrl: camera.url, subUrl: null, snapshotUrl: null },
            detect: { enabled: false },
            record: { preRollSeconds: 2, postRollSeconds: 2, continuous: false },
          },
        ],
      },
    });
    owner = await ownerClient(hub.url, hub.setupCode, { ca: hub.ca ?? '' });
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await hub?.close();
    await camera?.stop();
  });

  it('streams video to the owner over wss with the hub certificate, and refuses a socket without a session', async () => {
    await expect
      .poll(
        async () => (await owner.get<{ cameras: Array<{ status: { online: boolean } }> }>('/api/cameras')).body.cameras[0]?.status.online,
        { timeout: 30_000 },
      )
      .toBe(true);
    const url = `${hub.url.replace('https', 'wss')}/api/cameras/front-door/live`;
    const ws = new WebSocket(url, { ca: hub.ca ?? '', headers: { cookie: owner.sessionCookie ?? '' } });
    sockets.push(ws);
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m: Buffer, binary: boolean) => {
        if (binary) bytes += m.length;
        if (bytes > 10_000) resolve();
      });
      ws.once('close', (code) => reject(new Error(`live view closed ${code}`)));
      ws.once('error', reject);
    });
    expect(bytes).toBeGreaterThan(10_000);

    const anon = new WebSocket(url, { ca: hub.ca ?? '' });
    sockets.push(anon);
    expect(await new Promise<number>((resolve) => anon.once('close', resolve))).toBe(4401);
  }, 90_000);
});
