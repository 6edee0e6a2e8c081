import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Fmp4Fragment, type Fmp4Init, Fmp4Splitter } from '../../../hub/media/fmp4.js';
import { ownerClient } from '../../helpers/api-client.js';
import { type RecorderRig, startRig, waitFor } from './harness.js';

/** Pids of this process's children (the hub runs in the test process): every ffmpeg it started. */
function childPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(name));
    } catch {
      // The process ended between the listing and the read: it is no child any more.
    }
  }
  return out.sort((a, b) => a - b);
}

interface Received {
  texts: Array<Record<string, unknown>>;
  /** Every message in order: a parsed text message or binary bytes. */
  order: Array<Record<string, unknown> | Buffer>;
  binaryBytes: number;
}

function collect(ws: WebSocket): Received {
  const r: Received = { texts: [], order: [], binaryBytes: 0 };
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    if (isBinary) {
      r.order.push(d);
      r.binaryBytes += d.length;
    } else {
      const msg = JSON.parse(d.toString()) as Record<string, unknown>;
      r.texts.push(msg);
      r.order.push(msg);
    }
  });
  return r;
}

function split(chunks: Buffer[]): { init: Fmp4Init | null; fragments: Fmp4Fragment[] } {
  const fragments: Fmp4Fragment[] = [];
  const splitter = new Fmp4Splitter(
    () => undefined,
    (f) => fragments.push(f),
  );
  for (const c of chunks) splitter.push(c);
  return { init: splitter.init, fragments };
}

const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));

describe('live view passthrough (fMP4 for Media Source, from the camera ingest)', () => {
  let rig: RecorderRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('sends the MIME type, the init segment, then fragments from a keyframe; no new process; audited with the mode', {
    timeout: 60_000,
  }, async () => {
    rig = await startRig({});
    const { t, recorder } = rig;
    const owner = await ownerClient(t.url, t.setupCode);
    const wsUrl = `${t.url.replace('http', 'ws')}/api/cameras/door/live?mode=mse`;
    await waitFor('online', () => recorder.status('door').online, 25_000);

    expect(await closeCode(new WebSocket(wsUrl))).toBe(4401);

    const before = childPids();
    const ws = new WebSocket(wsUrl, { headers: { cookie: owner.sessionCookie ?? '' } });
    const got = collect(ws);
    const closed = closeCode(ws);
    await waitFor('a few seconds of video', () => got.binaryBytes > 300_000, 20_000);
    const live = recorder.live;
    if (!live) throw new Error('no live view');
    expect(live.viewers('door', 'mse')).toBe(1);
    expect(live.viewers('door', 'mpeg1')).toBe(0);
    expect(live.pid('door')).toBeUndefined();
    // Passed through: not one process more than the recorder already ran.
    expect(childPids()).toEqual(before);

    const first = got.order[0];
    expect(first).toMatchObject({ type: 'init', audio: false });
    expect((first as { mime: string }).mime).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
    const binaries = got.order.filter((m): m is Buffer => Buffer.isBuffer(m));
    expect(binaries[0]?.toString('latin1', 4, 8)).toBe('ftyp');
    const { init, fragments } = split(binaries);
    expect(init?.codec).toBe('avc1');
    expect(fragments.length).toBeGreaterThan(20);
    expect(fragments[0]?.keyframe).toBe(true);
    expect(fragments.filter((f) => f.keyframe).length).toBeGreaterThan(1);
    // Passed on with the ingest's prft boxes (the camera's wall clock): the browser must take them as they are.
    expect(fragments.every((f) => f.prftMs !== null)).toBe(true);
    // Fragments are the ingest's, in order: presentation times only go forward (no B-frames in the fixture).
    for (let i = 1; i < fragments.length; i++) expect(fragments[i]?.pts).toBeGreaterThan(fragments[i - 1]?.pts ?? 0);

    // A second viewer starts at once from the cached GOP, at its keyframe.
    const second = new WebSocket(wsUrl, { headers: { cookie: owner.sessionCookie ?? '' } });
    const got2 = collect(second);
    const closed2 = closeCode(second);
    await waitFor('second viewer data', () => got2.binaryBytes > 50_000, 10_000);
    expect(got2.texts[0]).toMatchObject({ type: 'init', fromCache: true });
    const split2 = split(got2.order.filter((m): m is Buffer => Buffer.isBuffer(m)));
    expect(split2.fragments[0]?.keyframe).toBe(true);
    expect(live.viewers('door', 'mse')).toBe(2);

    const viewed = await waitFor(
      'live view audited',
      async () => {
        const e = (await t.hub.core.audit.entries()).filter((x) => x.action === 'live.viewed');
        return e.length === 2 ? e : null;
      },
      5000,
    );
    expect(viewed.map((e) => e.subject)).toEqual([
      { cameraId: 'door', mode: 'mse' },
      { cameraId: 'door', mode: 'mse' },
    ]);
    ws.close();
    second.close();
    expect(await closed).toBe(1005);
    expect(await closed2).toBe(1005);
    await waitFor('no passthrough viewers', () => live.viewers('door', 'mse') === 0, 5000);
  });

  it('sends a new init to its viewers when the camera reconnects', { timeout: 90_000 }, async () => {
    rig = await startRig({});
    const { t, recorder, server } = rig;
    const owner = await ownerClient(t.url, t.setupCode);
    await waitFor('online', () => recorder.status('door').online, 25_000);
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/cameras/door/live?mode=mse`, {
      headers: { cookie: owner.sessionCookie ?? '' },
    });
    const got = collect(ws);
    const closed = closeCode(ws);
    try {
      await waitFor('video', () => got.binaryBytes > 100_000, 20_000);
      expect(got.texts).toHaveLength(1);
      await server.stop();
      await server.start();
      await waitFor('a second init', () => got.texts.length >= 2, 60_000);
      expect(got.texts[1]).toMatchObject({ type: 'init', fromCache: false });
      const i = got.order.indexOf(got.texts[1] as Record<string, unknown>);
      const after = got.order.slice(i + 1).filter((m): m is Buffer => Buffer.isBuffer(m));
      await waitFor('video after the reconnect', () => split(got.order.slice(i + 1).filter(Buffer.isBuffer)).fragments.length > 5, 20_000);
      expect(after[0]?.toString('latin1', 4, 8)).toBe('ftyp');
      expect(split(got.order.slice(i + 1).filter(Buffer.isBuffer)).fragments[0]?.keyframe).toBe(true);
    } finally {
      ws.close();
    }
    expect(await closed).toBe(1005);
  });

  it('a keyframe the camera sends in several slices reaches the browser as one sample (the ingest keeps them as sent)', {
    timeout: 60_000,
  }, async () => {
    // x264's zerolatency tune with threads encodes each frame in several slices, as some cameras do.
    rig = await startRig({
      server: {
        inputArgs: ['-f', 'lavfi', '-i', 'testsrc2=size=768x576:rate=10'],
        encodeArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '4', '-g', '10', '-pix_fmt', 'yuv420p'],
      },
    });
    const { t, recorder } = rig;
    const owner = await ownerClient(t.url, t.setupCode);
    await waitFor('online', () => recorder.status('door').online, 25_000);
    const ingest = recorder.ingestFor('door');
    if (!ingest) throw new Error('no ingest');
    const fromIngest: Fmp4Fragment[] = [];
    const untap = ingest.tap({ init: () => undefined, fragment: (f) => fromIngest.push(f) });
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/cameras/door/live?mode=mse`, {
      headers: { cookie: owner.sessionCookie ?? '' },
    });
    const got = collect(ws);
    const closed = closeCode(ws);
    try {
      await waitFor(
        'three seconds of video',
        () => split(got.order.filter(Buffer.isBuffer)).fragments.filter((f) => f.keyframe).length >= 3,
        20_000,
      );
    } finally {
      untap();
      ws.close();
    }
    expect(await closed).toBe(1005);
    const sameFrame = (f: Fmp4Fragment[]) =>
      f.filter((x, i) => i > 0 && x.keyframe && f[i - 1]?.keyframe && x.pts - (f[i - 1]?.pts ?? 0) <= 2).length;
    // The ingest has a keyframe's slices as samples one tick apart; the viewer has one sample per keyframe.
    expect(sameFrame(fromIngest)).toBeGreaterThan(0);
    const viewed = split(got.order.filter(Buffer.isBuffer)).fragments;
    expect(sameFrame(viewed)).toBe(0);
    const keyframes = viewed.filter((f) => f.keyframe);
    expect(keyframes.length).toBeGreaterThanOrEqual(3);
    // Every keyframe's presentation times are 1/10 s apart from the next frame's: whole frames.
    for (const k of keyframes.slice(1)) {
      const next = viewed[viewed.indexOf(k) + 1];
      if (next) expect(next.pts - k.pts).toBeGreaterThan(4000);
    }
  });

  it('a viewer that never reads skips to keyframes, then is let go at a bound; the other keeps watching', {
    timeout: 120_000,
  }, async () => {
    const limit = 64 * 1024;
    rig = await startRig({ recorder: { live: { maxViewerBufferBytes: limit } } });
    const { t, recorder } = rig;
    const owner = await ownerClient(t.url, t.setupCode);
    const wsUrl = `${t.url.replace('http', 'ws')}/api/cameras/door/live?mode=mse`;
    const headers = { cookie: owner.sessionCookie ?? '' };
    const good = new WebSocket(wsUrl, { headers });
    const goodGot = collect(good);
    const goodClosed = closeCode(good);
    const slow = new WebSocket(wsUrl, { headers });
    const slowClosed = closeCode(slow);
    try {
      // The slow phone: it connects and then never reads another byte.
      await new Promise((r) => slow.once('open', r));
      (slow as unknown as { _socket: { pause(): void } })._socket.pause();
      const live = recorder.live;
      if (!live) throw new Error('no live view');
      await waitFor('the slow viewer let go', () => live.mse.slowViewersDropped >= 1, 100_000);
      expect(live.mse.keyframeSkips).toBeGreaterThanOrEqual(1);
      expect(live.viewers('door', 'mse')).toBe(1);
      const dropped = t.logs.lines.find((l) => l.msg === 'live viewer too slow for the stream; disconnecting it') as
        | { bufferedBytes?: number; mode?: string }
        | undefined;
      expect(dropped?.mode).toBe('mse');
      // What the hub held for it: past the bound by at most one fragment (a keyframe is under 100 kB here).
      expect(dropped?.bufferedBytes).toBeGreaterThan(limit);
      expect(dropped?.bufferedBytes).toBeLessThan(limit + 100 * 1024);
      const before = goodGot.binaryBytes;
      await waitFor('the other viewer still receives', () => goodGot.binaryBytes > before + 100_000, 20_000);
      expect(live.slowViewersDropped).toBe(0);
    } finally {
      good.close();
      slow.terminate();
    }
    expect(await goodClosed).toBe(1005);
    expect([1006, 4429]).toContain(await slowClosed);
  });
});
