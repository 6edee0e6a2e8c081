import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pidAlive } from '../../../hub/recorder/child-process.js';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { eventsNamed, type RecorderRig, startRig, waitFor } from './harness.js';

describe('camera and clip routes', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('owner lists, requests and plays clips (with Range); installers and police cannot see clips', { timeout: 90_000 }, async () => {
    rig = await startRig({});
    const r = rig;
    const { t, recorder } = r;
    const owner = await ownerClient(t.url, t.setupCode);
    const installer = await invitedClient(t.url, owner, 'installer', 'ivy');
    const police = await invitedClient(t.url, owner, 'police', 'pc');
    await waitFor('online', () => recorder.status('door').online, 25_000);

    const list = await installer.get<{ cameras: Array<{ id: string; status: { online: boolean; transport: string } }> }>('/api/cameras');
    expect(list.status).toBe(200);
    expect(list.body.cameras[0]).toMatchObject({ id: 'door', status: { online: true, transport: 'tcp' } });
    expect((await police.get('/api/cameras')).status).toBe(403);

    const snap = await fetch(`${t.url}/api/cameras/door/snapshot`, { headers: { cookie: installer.sessionCookie ?? '' } });
    expect(snap.status).toBe(200);
    expect(Buffer.from(await snap.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    expect((await installer.post('/api/cameras/door/clips', {})).status).toBe(403);
    const req = await owner.post<{ clipId: string; startTs: number; endTs: number }>('/api/cameras/door/clips', {
      note: 'man at the door',
    });
    expect(req.status).toBe(202);
    await waitFor('clip.saved', () => eventsNamed(r, 'clip.saved')[0], 30_000);

    const clips = await owner.get<{ clips: Array<{ id: string; sha256: string; size: number; videoUrl: string; snapshotUrl: string }> }>(
      '/api/clips',
    );
    expect(clips.status).toBe(200);
    const clip = clips.body.clips.find((c) => c.id === req.body.clipId);
    if (!clip) throw new Error('clip not listed');
    expect((await installer.get('/api/clips')).status).toBe(403);
    expect((await police.get('/api/clips')).status).toBe(403);
    expect((await installer.get(clip.videoUrl)).status).toBe(403);

    const cookie = { cookie: owner.sessionCookie ?? '' };
    const full = await fetch(`${t.url}${clip.videoUrl}`, { headers: cookie });
    expect(full.status).toBe(200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await full.arrayBuffer());
    expect(bytes.length).toBe(clip.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(clip.sha256);

    const part = await fetch(`${t.url}${clip.videoUrl}`, { headers: { ...cookie, range: 'bytes=100-1099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${clip.size}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(100, 1100));
    const tail = await fetch(`${t.url}${clip.videoUrl}`, { headers: { ...cookie, range: 'bytes=-500' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 500));
    const bad = await fetch(`${t.url}${clip.videoUrl}`, { headers: { ...cookie, range: `bytes=${clip.size + 10}-` } });
    expect(bad.status).toBe(400);

    const jpeg = await fetch(`${t.url}${clip.snapshotUrl}`, { headers: cookie });
    expect(jpeg.status).toBe(200);
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg');

    const audit = await t.hub.core.audit.entries();
    expect(audit.find((e) => e.action === 'clip.requested')?.subject).toMatchObject({ cameraId: 'door', note: 'man at the door' });
    // Playing footage is audited once per playback (the first request), not per seek; refused requests not at all.
    const played = audit.filter((e) => e.action === 'clip.played');
    expect(played).toHaveLength(1);
    expect(played[0]?.subject).toEqual({ clipId: clip.id, cameraId: 'door' });
    expect(played[0]?.actor).toBe(audit.find((e) => e.action === 'clip.requested')?.actor);
  });

  it('live view: owner-only WebSocket with MPEG-TS from the MPEG-1 muxer, stopped when the last viewer leaves', {
    timeout: 60_000,
  }, async () => {
    rig = await startRig({});
    const { t, recorder } = rig;
    const owner = await ownerClient(t.url, t.setupCode);
    const installer = await invitedClient(t.url, owner, 'installer', 'ivy');
    const wsUrl = `${t.url.replace('http', 'ws')}/api/cameras/door/live`;

    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl, { headers: { cookie: installer.sessionCookie ?? '' } });
      ws.on('close', (code) => resolve(code));
    });
    expect(refused).toBe(4403);
    const anonymous = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl);
      ws.on('close', (code) => resolve(code));
    });
    expect(anonymous).toBe(4401);

    const ws = new WebSocket(wsUrl, { headers: { cookie: owner.sessionCookie ?? '' } });
    const chunks: Buffer[] = [];
    ws.on('message', (d: Buffer) => chunks.push(d));
    await waitFor('live data', () => chunks.reduce((n, c) => n + c.length, 0) > 20_000, 30_000);
    // MPEG-TS packets start with the sync byte 0x47 every 188 bytes.
    const data = Buffer.concat(chunks);
    expect(data[0]).toBe(0x47);
    expect(data[188]).toBe(0x47);
    const live = recorder.live;
    if (!live) throw new Error('no live view');
    expect(live.viewers('door')).toBe(1);
    // Who watched which camera, and when; the refused attempts watched nothing.
    const viewed = await waitFor(
      'live view audited',
      async () => (await t.hub.core.audit.entries()).filter((e) => e.action === 'live.viewed'),
      5000,
    );
    expect(viewed.map((e) => e.subject)).toEqual([{ cameraId: 'door', mode: 'mpeg1' }]);
    const pid = live.pid('door');
    expect(pid).toBeGreaterThan(0);
    ws.close();
    await waitFor('live ffmpeg stopped', () => live.viewers('door') === 0 && pid !== undefined && !pidAlive(pid), 10_000);
  });

  it('a viewer that stops reading is let go at a bound; the other viewer keeps watching', { timeout: 120_000 }, async () => {
    const limit = 256 * 1024;
    rig = await startRig({ recorder: { live: { width: 1280, height: 720, bitrateKbps: 8000, maxViewerBufferBytes: limit } } });
    const { t, recorder } = rig;
    const owner = await ownerClient(t.url, t.setupCode);
    const wsUrl = `${t.url.replace('http', 'ws')}/api/cameras/door/live`;
    const headers = { cookie: owner.sessionCookie ?? '' };
    const good = new WebSocket(wsUrl, { headers });
    let goodBytes = 0;
    good.on('message', (d: Buffer) => {
      goodBytes += d.length;
    });
    const slow = new WebSocket(wsUrl, { headers });
    try {
      // The slow phone: it connects and then never reads another byte.
      await new Promise((r) => slow.once('open', r));
      (slow as unknown as { _socket: { pause(): void } })._socket.pause();
      const live = recorder.live;
      if (!live) throw new Error('no live view');
      await waitFor('the slow viewer let go', () => live.slowViewersDropped >= 1, 90_000);
      expect(live.viewers('door')).toBe(1);
      const dropped = t.logs.lines.find((l) => l.msg === 'live viewer too slow for the stream; disconnecting it') as
        | { bufferedBytes?: number }
        | undefined;
      // What the hub held for it never grew past the bound by more than one chunk of the stream.
      expect(dropped?.bufferedBytes).toBeGreaterThan(limit);
      expect(dropped?.bufferedBytes).toBeLessThan(limit + 256 * 1024);
      const before = goodBytes;
      await waitFor('the other viewer still receives', () => goodBytes > before + 100_000, 20_000);
    } finally {
      good.close();
      slow.terminate();
    }
  });
});
