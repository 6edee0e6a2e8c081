/**
 * The loopback relay that keeps camera passwords out of ffmpeg's command line: ffprobe reaches a
 * password-protected GStreamer RTSP server through it over TCP and UDP with a URL that carries no
 * credentials; a wrong password still reads as the camera refusing it; a released lease and a
 * connection from another local user get nothing. Digest answers are checked against RFC 2617's
 * worked example.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFfmpegError } from '../../../hub/recorder/ingest-command.js';
import { answerChallenge, parseChallenge, RtspAuthRelay } from '../../../hub/recorder/rtsp-auth-relay.js';
import { SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { LogCapture } from '../../helpers/log-capture.js';
import { DOORBELL_CLIP } from './harness.js';

const SECRET = 'relay-Secret-91';

async function probe(url: string, transport: 'tcp' | 'udp'): Promise<{ ok: true; codec: string } | { ok: false; stderr: string }> {
  try {
    const { stdout } = await promisify(execFile)(
      'ffprobe',
      ['-v', 'error', '-rtsp_transport', transport, '-timeout', '5000000', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url],
      { timeout: 20_000 },
    );
    return { ok: true, codec: stdout.trim() };
  } catch (err) {
    return { ok: false, stderr: String((err as { stderr?: string }).stderr ?? err) };
  }
}

describe('RTSP credential relay', () => {
  const server = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell', username: 'admin', password: SECRET });
  const logs = new LogCapture();
  const relay = new RtspAuthRelay(logs.logger);

  beforeAll(async () => {
    await server.start();
    await relay.start();
  }, 30_000);
  afterAll(async () => {
    await relay.stop();
    await server.stop();
  });

  it('without the relay the camera refuses; through it ffprobe reads the H.264 stream over TCP and UDP', { timeout: 60_000 }, async () => {
    const direct = await probe(server.url, 'tcp');
    expect(direct.ok).toBe(false);
    const lease = relay.lease(server.url, 'admin', SECRET);
    expect(lease.url).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/doorbell$/);
    expect(lease.url).not.toContain(SECRET);
    expect(await probe(lease.url, 'tcp')).toEqual({ ok: true, codec: 'h264' });
    expect(await probe(lease.url, 'udp')).toEqual({ ok: true, codec: 'h264' });
    lease.release();
    // Credentials given inside the URL count too (an ONVIF camera may answer with such a URI).
    const inUrl = relay.lease(server.url.replace('rtsp://', `rtsp://admin:${SECRET}@`), null, null);
    expect(inUrl.url).not.toContain(SECRET);
    expect(await probe(inUrl.url, 'tcp')).toEqual({ ok: true, codec: 'h264' });
    inUrl.release();
    expect(logs.text()).not.toContain(SECRET);
  });

  it('a camera that restarts is reached again through the same lease', { timeout: 60_000 }, async () => {
    const lease = relay.lease(server.url, 'admin', SECRET);
    try {
      await server.stop();
      expect((await probe(lease.url, 'tcp')).ok).toBe(false);
      await server.start();
      expect(await probe(lease.url, 'tcp')).toEqual({ ok: true, codec: 'h264' });
    } finally {
      lease.release();
    }
  });

  it('a wrong password reaches ffmpeg as the camera refusing it (HUB_ERR_CAMERA_AUTH)', { timeout: 30_000 }, async () => {
    const lease = relay.lease(server.url, 'admin', 'not-it');
    const r = await probe(lease.url, 'tcp');
    lease.release();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(classifyFfmpegError(r.stderr).code).toBe('HUB_ERR_CAMERA_AUTH');
  });

  it('a released lease no longer works', { timeout: 30_000 }, async () => {
    const lease = relay.lease(server.url, 'admin', SECRET);
    lease.release();
    const r = await probe(lease.url, 'tcp');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.stderr).toMatch(/404/);
  });

  it('a connection from a socket owned by another local user is refused', { timeout: 30_000 }, async () => {
    const other = new LogCapture();
    const strict = new RtspAuthRelay(other.logger, (process.getuid?.() ?? 0) + 1);
    await strict.start();
    try {
      const lease = strict.lease(server.url, 'admin', SECRET);
      const r = await probe(lease.url, 'tcp');
      expect(r.ok).toBe(false);
      expect(other.lines.some((l) => /refused a connection from another local user/.test(l.msg))).toBe(true);
    } finally {
      await strict.stop();
    }
  });
});

describe('Digest answers', () => {
  it('match the worked example of RFC 2617 section 3.5', () => {
    const challenge = parseChallenge(
      'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Basic realm="x"\r\n' +
        'WWW-Authenticate: Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(challenge?.scheme).toBe('digest');
    const header = answerChallenge(challenge ?? expect.fail('challenge'), {
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      nc: 1,
      cnonce: '0a4f113b',
    });
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('nc=00000001');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('Basic is used only when no Digest challenge is offered', () => {
    const c = parseChallenge('RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Basic realm="cam"');
    expect(c?.scheme).toBe('basic');
    expect(
      answerChallenge(c ?? expect.fail('challenge'), { method: 'DESCRIBE', uri: 'rtsp://h/', username: 'a', password: 'b', nc: 1 }),
    ).toBe(`Basic ${Buffer.from('a:b').toString('base64')}`);
  });
});
