/**
 * A camera's snapshot URL over real HTTP on loopback: answered with Digest (as Hikvision, Dahua
 * and Amcrest ask) or Basic, never sending the password before the camera asks; a wrong password
 * is HUB_ERR_CAMERA_AUTH; an endless or oversized answer is cut off at the limit with a clear error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_BYTES, takeSnapshot } from '../../../hub/recorder/camera-probe.js';
import { RtspAuthRelay } from '../../../hub/recorder/rtsp-auth-relay.js';
import { LogCapture } from '../../helpers/log-capture.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000), Buffer.from([0xff, 0xd9])]);
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('snapshot URL', () => {
  let server: Server | null = null;
  const relay = new RtspAuthRelay(new LogCapture().logger);
  afterEach(async () => {
    const s = server;
    server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/ISAPI/Streaming/channels/101/picture`;
  }

  const snap = (url: string, password: string) =>
    takeSnapshot('ffmpeg', relay, { mainUrl: 'rtsp://127.0.0.1:9/none', subUrl: null, snapshotUrl: url, username: 'admin', password });

  it('answers a Digest challenge (qop=auth) and never sends the password unasked', async () => {
    const seen: string[] = [];
    const nonce = randomBytes(8).toString('hex');
    const url = await serve((req, res) => {
      const auth = req.headers.authorization ?? '';
      seen.push(auth);
      const p = (k: string) => new RegExp(`${k}="?([^",]+)"?`).exec(auth)?.[1] ?? '';
      const expected = md5(`${md5(`admin:cam:s3cret`)}:${nonce}:${p('nc')}:${p('cnonce')}:auth:${md5(`GET:${p('uri')}`)}`);
      if (auth.startsWith('Digest ') && p('uri') === '/ISAPI/Streaming/channels/101/picture' && p('response') === expected) {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(JPEG);
        return;
      }
      res.writeHead(401, { 'www-authenticate': `Digest realm="cam", qop="auth", nonce="${nonce}"` });
      res.end();
    });
    const r = await snap(url, 's3cret');
    expect(r.via).toBe('snapshot_url');
    expect(r.jpeg.equals(JPEG)).toBe(true);
    expect(seen[0]).toBe('');
    expect(seen.join(' ')).not.toContain('s3cret');
    await expect(snap(url, 'wrong')).rejects.toMatchObject({ code: 'HUB_ERR_CAMERA_AUTH' });
  });

  it('answers Basic when that is all the camera offers', async () => {
    const url = await serve((req, res) => {
      if (req.headers.authorization === `Basic ${Buffer.from('admin:pw').toString('base64')}`) {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(JPEG);
        return;
      }
      res.writeHead(401, { 'www-authenticate': 'Basic realm="doorbell"' });
      res.end();
    });
    expect((await snap(url, 'pw')).jpeg.equals(JPEG)).toBe(true);
  });

  it('an answer longer than the limit is cut off, declared or not', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0xff);
    const url = await serve((req, res) => {
      if (req.url?.includes('declared')) {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(MAX_SNAPSHOT_BYTES * 2) });
        res.end();
        return;
      }
      // No length: a camera that sends without end.
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      more();
    });
    await expect(snap(url, 'pw')).rejects.toThrow(/longer than the 8388608-byte limit/);
    await expect(snap(`${url}?declared`, 'pw')).rejects.toThrow(/over the 8388608-byte limit/);
  });
});
