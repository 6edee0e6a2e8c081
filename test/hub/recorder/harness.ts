/**
 * Shared set-up for recorder tests: a real RTSP server on loopback (GStreamer or the npm
 * rtsp-streaming-server) looping the doorbell fixture, and a real hub running the recorder
 * module with short segments and timeouts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { EventMap, EventName } from '../../../hub/api/events.js';
import type { Clock } from '../../../hub/api/plugin.js';
import type { HubConfigInput } from '../../../hub/config/schema.js';
import type { HubModule } from '../../../hub/core.js';
import { RecorderModule } from '../../../hub/recorder/recorder-module.js';
import { type SimRtspOptions, SimRtspServer } from '../../../hub/sim/rtsp-server.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

const run = promisify(execFile);

export const DOORBELL_CLIP = fileURLToPath(new URL('../../fixtures/media/doorbell-people-walking-768x576-10fps.mp4', import.meta.url));

export interface RecorderRig {
  t: TestHub;
  recorder: RecorderModule;
  server: SimRtspServer;
  /** The camera's sub stream (frames for detection come from it), when the rig has one. */
  subServer: SimRtspServer | null;
  events: Array<{ name: EventName; event: EventMap[EventName] }>;
  close(): Promise<void>;
}

export function cameraSeed(id: string, mainUrl: string, over: Record<string, unknown> = {}) {
  return {
    id,
    name: `Camera ${id}`,
    kind: 'doorbell' as const,
    source: { type: 'rtsp' as const, mainUrl, subUrl: null, snapshotUrl: null },
    detect: { enabled: false, fps: 2, width: 160, height: 120 },
    record: { preRollSeconds: 3, postRollSeconds: 3, continuous: false },
    ...over,
  };
}

export async function startRig(opts: {
  server?: Partial<SimRtspOptions>;
  /** Serve a sub stream too (a camera's low-resolution second profile); detection frames come from it. */
  subServer?: Partial<SimRtspOptions>;
  recorder?: Record<string, unknown>;
  camera?: Record<string, unknown>;
  attach?: boolean;
  username?: string | null;
  password?: string | null;
  config?: Partial<HubConfigInput>;
  /** Other hub modules started before and after the recorder (identity, audit, evidence). */
  before?: HubModule[];
  after?: HubModule[];
  /** Reuse a data folder (restart tests); it is kept on close. */
  dataDir?: string;
  clock?: Clock;
}): Promise<RecorderRig> {
  const server = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/doorbell', ...opts.server });
  await server.start();
  let subServer: SimRtspServer | null = null;
  if (opts.subServer) {
    subServer = new SimRtspServer({ kind: 'gstreamer', file: DOORBELL_CLIP, mount: '/sub', ...opts.subServer });
    try {
      await subServer.start();
    } catch (err) {
      await server.stop();
      throw err;
    }
  }
  const recorder = new RecorderModule();
  let t: TestHub;
  try {
    t = await startTestHub({
      modules: [...(opts.before ?? []), recorder, ...(opts.after ?? [])],
      config: {
        recorder: { segmentSeconds: 2, offlineAfterSeconds: 6, minFreeBytes: 0, retentionIntervalSeconds: 3600, ...opts.recorder },
        cameras: [cameraSeed('door', server.url, opts.camera)],
        ...opts.config,
      } as Partial<HubConfigInput>,
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  } catch (err) {
    await server.stop();
    await subServer?.stop();
    throw err;
  }
  const events: RecorderRig['events'] = [];
  t.hub.bus.onAny('test-recorder', (name, event) => {
    events.push({ name, event });
  });
  let detach: (() => void) | null = null;
  if (opts.attach !== false) {
    detach = t.hub.core.cameraAttachments.attach({
      cameraId: 'door',
      mainUrl: server.url,
      subUrl: subServer?.url ?? null,
      snapshotUrl: null,
      username: opts.username ?? null,
      password: opts.password ?? null,
    });
  }
  return {
    t,
    recorder,
    server,
    subServer,
    events,
    async close() {
      detach?.();
      await t.close();
      await server.stop();
      await subServer?.stop();
    },
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function eventsNamed<K extends EventName>(rig: RecorderRig, name: K): Array<EventMap[K]> {
  return rig.events.filter((e) => e.name === name).map((e) => e.event as EventMap[K]);
}

export interface ProbeResult {
  duration: number;
  codec: string;
  width: number;
  height: number;
  formatName: string;
}

/** ffprobe a file; throws if ffprobe cannot read it (corrupt or not video). */
export async function probe(path: string): Promise<ProbeResult> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration,format_name:stream=codec_name,width,height',
    '-select_streams',
    'v:0',
    '-of',
    'json',
    path,
  ]);
  const j = JSON.parse(stdout) as {
    format: { duration: string; format_name: string };
    streams: Array<{ codec_name: string; width: number; height: number }>;
  };
  const s = j.streams[0];
  if (!s) throw new Error(`${path} has no video stream`);
  return { duration: Number(j.format.duration), codec: s.codec_name, width: s.width, height: s.height, formatName: j.format.format_name };
}

/**
 * Decode every frame: decoder errors mean a corrupted file. Returns the decoder's complaints
 * (empty when clean). Muxer notes about the first packet's timestamp (RTSP starts without one)
 * are not corruption and are left out.
 */
export async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-']);
  return stderr
    .split('\n')
    .filter((l) => /\[h264 @|error while decoding|corrupt|Invalid data|concealing|missing picture/i.test(l))
    .join('\n')
    .trim();
}
