/**
 * Camera and clip routes. Owners see cameras, clips and live view; installers find, test and
 * check cameras but never see recorded clips. Clip video supports HTTP Range for the player.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { describeError, HubError, NotFoundError, ValidationError } from '../api/errors.js';
import type { CameraStreams } from '../api/plugin.js';
import { cameraSeedSchema } from '../config/devices-schema.js';
import type { HubCore } from '../core.js';
import { publicCamera, resolveSource } from '../devices/camera-secrets.js';
import { openMedia } from '../vault/media-reader.js';
import { takeSnapshot } from './camera-probe.js';
import type { RecorderModule } from './recorder-module.js';
import { soundBody } from './sound.js';

const idParams = z.strictObject({ id: z.string().min(1).max(64) });
const sourceSchema = cameraSeedSchema.shape.source;

function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

export function registerRecorderRoutes(core: HubCore, recorder: RecorderModule): void {
  const { http } = core;
  const sounds = () => {
    if (!recorder.sound) throw new HubError('HUB_ERR_INTERNAL', 'recorder used before start');
    return recorder.sound;
  };

  http.route({
    method: 'GET',
    url: '/api/cameras',
    access: { roles: ['owner', 'installer'] },
    handler: () => ({
      cameras: core.devices.cameras().map((c) => ({
        ...publicCamera(c),
        status: recorder.status(c.id),
        health: core.health.get(`camera:${c.id}`) ?? null,
      })),
      recordingPaused: recorder.recordingPaused,
    }),
  });

  http.route({
    method: 'GET',
    url: '/api/cameras/:id/snapshot',
    access: { roles: ['owner', 'installer'], scope: 'cameras:snapshot' },
    params: idParams,
    handler: async ({ params, reply }) => {
      const snap = await recorder.snapshot(params.id);
      return reply.header('content-type', 'image/jpeg').header('cache-control', 'no-store').send(snap.jpeg);
    },
  });

  http.route({
    method: 'POST',
    url: '/api/cameras/:id/clips',
    access: { roles: ['owner'] },
    params: idParams,
    body: z.strictObject({ note: z.string().max(500).optional() }).optional(),
    handler: async ({ params, reply, session, body }) => {
      const pending = recorder.requestClip(params.id, 'api');
      await core.audit.append({
        action: 'clip.requested',
        actor: session.user.id,
        subject: { cameraId: params.id, clipId: pending.clipId, note: body?.note ?? null, correlationId: pending.correlationId },
      });
      reply.code(202);
      return { clipId: pending.clipId, startTs: pending.startTs, endTs: pending.endTs, correlationId: pending.correlationId };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/cameras/:id/sound',
    access: { roles: ['owner', 'installer'] },
    params: idParams,
    handler: ({ params }) => ({ ...sounds().state(params.id), streamHasSound: recorder.hasAudio(params.id) }),
  });

  http.route({
    method: 'PUT',
    url: '/api/cameras/:id/sound',
    access: { roles: ['owner'] },
    params: idParams,
    body: soundBody,
    handler: async ({ params, body, session }) => {
      if (body.agree && body.understood !== true)
        throw new ValidationError('read the note on recording sound and tick that you understand it first', { field: 'understood' });
      const state = await sounds().decide(params.id, body.agree, session.user.id);
      recorder.applySound(params.id);
      return state;
    },
  });

  http.route({
    method: 'POST',
    url: '/api/cameras/discover',
    access: { roles: ['installer', 'owner'] },
    body: z.strictObject({ timeoutMs: z.number().int().min(500).max(15_000).default(3000) }).prefault({}),
    handler: async ({ body }) => ({ cameras: await core.cameraAttachments.discover(body.timeoutMs) }),
  });

  http.route({
    method: 'POST',
    url: '/api/cameras/test',
    access: { roles: ['installer', 'owner'] },
    body: z.strictObject({
      source: sourceSchema,
      /** Testing a saved camera: a password left out is the stored one. */
      cameraId: z.string().min(1).max(64).optional(),
    }),
    handler: async ({ body }) => {
      if (!core.ffmpeg) throw new HubError('HUB_ERR_FFMPEG_MISSING', 'ffmpeg is missing on the hub');
      const saved = body.cameraId ? core.devices.camera(body.cameraId) : undefined;
      const { source } = resolveSource(body.source, saved ? { password: saved.source.password, type: saved.source.type } : null);
      let streams: Omit<CameraStreams, 'cameraId'>;
      if (source.type === 'onvif') streams = await core.cameraAttachments.resolve(source, 8000);
      else
        streams = {
          mainUrl: source.mainUrl,
          subUrl: source.subUrl,
          snapshotUrl: source.snapshotUrl,
          username: source.username || null,
          password: source.password || null,
        };
      try {
        // The RTSP stream is what the recorder will use, so that is what gets tested.
        const snap = await takeSnapshot(core.ffmpeg.path, recorder.relayOrThrow(), streams, { preferRtsp: true, timeoutMs: 10_000 });
        return {
          ok: true,
          via: snap.via,
          snapshot: snap.jpeg.toString('base64'),
          hasSubStream: streams.subUrl !== null,
          hasSnapshotUrl: streams.snapshotUrl !== null,
        };
      } catch (err) {
        core.log.info({ source: source.type, err: describeError(err) }, 'camera test failed');
        throw err;
      }
    },
  });

  http.route({
    method: 'GET',
    url: '/api/clips',
    access: { roles: ['owner'] },
    query: z.strictObject({
      cameraId: z.string().max(64).optional(),
      from: z.coerce.number().int().optional(),
      to: z.coerce.number().int().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
    }),
    handler: async ({ query }) => {
      const filter: Parameters<typeof core.footage.clips>[0] = { limit: query.limit };
      if (query.cameraId) filter.cameraIds = [query.cameraId];
      if (query.from !== undefined) filter.fromTs = query.from;
      if (query.to !== undefined) filter.toTs = query.to;
      const clips = (await core.footage.clips(filter)).filter((c) => core.policy.mayShowClip('owner_app', c));
      return {
        clips: clips.map((c) => ({
          ...c,
          videoUrl: `/api/clips/${c.id}/video`,
          snapshotUrl: c.snapshotPath ? `/api/clips/${c.id}/snapshot` : null,
        })),
      };
    },
  });

  const liveClip = async (id: string) => {
    const clip = await core.footage.clip(id);
    // A clip of a silent panic is "not found" on the owner's phone, like one that never existed.
    if (!clip || clip.deletedAt !== null || !core.policy.mayShowClip('owner_app', clip)) throw new NotFoundError(`clip ${id}`);
    return clip;
  };

  http.route({
    method: 'GET',
    url: '/api/clips/:id/video',
    access: { roles: ['owner'] },
    params: z.strictObject({ id: z.string().uuid() }),
    handler: async ({ params, req, reply, session }) => {
      const clip = await liveClip(params.id);
      // Sealed on the card: opened with the owner's key (423, "unlock footage", without it), and
      // only the chunks a range touches are decrypted.
      const media = await openMedia(join(core.dataDir, clip.path), (abs) => core.vault.open(session.user.id, abs));
      const size = media.size;
      const range = parseRange(req.headers.range, size);
      // Who played which footage, and when: once per playback (its first request), not per seek.
      if (range === null || (range !== 'invalid' && range.start === 0)) {
        await core.audit.append({ action: 'clip.played', actor: session.user.id, subject: { clipId: clip.id, cameraId: clip.cameraId } });
      }
      reply.header('accept-ranges', 'bytes').header('content-type', 'video/mp4').header('cache-control', 'no-store');
      reply.header('x-content-sha256', clip.sha256);
      if (range === 'invalid') {
        reply.header('content-range', `bytes */${size}`);
        throw new ValidationError(`range ${req.headers.range} is outside the clip (size ${size})`);
      }
      if (range === null) {
        reply.header('content-length', String(size));
        return reply.send(media.stream());
      }
      reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', String(range.end - range.start + 1));
      return reply.send(media.stream(range.start, range.end));
    },
  });

  http.route({
    method: 'GET',
    url: '/api/clips/:id/snapshot',
    access: { roles: ['owner'] },
    params: z.strictObject({ id: z.string().uuid() }),
    handler: async ({ params, reply, session }) => {
      const clip = await liveClip(params.id);
      if (!clip.snapshotPath) throw new NotFoundError(`snapshot of clip ${params.id}`);
      const media = await openMedia(join(core.dataDir, clip.snapshotPath), (abs) => core.vault.open(session.user.id, abs));
      reply.header('content-type', 'image/jpeg').header('cache-control', 'no-store').header('content-length', String(media.size));
      if (clip.snapshotSha256) reply.header('x-content-sha256', clip.snapshotSha256);
      return reply.send(media.stream());
    },
  });

  // Live view over the hub's own WebSocket, owner only (declared here and checked on upgrade).
  http.fastify.get('/api/cameras/:id/live', { websocket: true, config: { access: { roles: ['owner'] } } }, (socket, req) => {
    let session: ReturnType<typeof http.authorize>;
    try {
      session = http.authorize(req, { roles: ['owner'] });
    } catch (err) {
      socket.close(err instanceof HubError && err.code === 'HUB_ERR_FORBIDDEN' ? 4403 : 4401, describeError(err).slice(0, 120));
      return;
    }
    const id = (req.params as { id?: string }).id ?? '';
    const streams = core.cameraAttachments.get(id);
    if (!streams || !recorder.live) {
      socket.close(4404, `camera ${id.slice(0, 64)} is not streaming`);
      return;
    }
    // `mse`: the stream as the camera sends it, for Media Source; `mpeg1` (default): the JSMpeg fallback.
    const mode = (req.query as { mode?: string }).mode === 'mse' ? 'mse' : 'mpeg1';
    if (mode === 'mpeg1') recorder.live.watch(streams, socket);
    else if (!recorder.live.watchPassthrough(id, socket)) {
      socket.close(4404, `camera ${id.slice(0, 64)} is not streaming`);
      return;
    }
    // Who watched which camera, how, and when (the viewing itself goes on while the entry is written).
    core.audit.append({ action: 'live.viewed', actor: session?.user.id ?? null, subject: { cameraId: id, mode } }).then(
      () => undefined,
      (err: unknown) => core.log.error({ camera: id, err: describeError(err) }, 'could not audit a live view'),
    );
  });
}
