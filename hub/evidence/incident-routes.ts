/**
 * Incident logs for advocates: the owner picks events (by number, or a time window and kinds),
 * the hub renders a printable HTML timeline, and shares it with chosen advocate accounts. An
 * advocate sees only the logs shared with them, nothing else in the hub.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { describeError, HubError, NotFoundError, ValidationError } from '../api/errors.js';
import type { EventMap, EventName } from '../api/events.js';
import { sha256Hex } from '../auth/passwords.js';
import type { HubCore } from '../core.js';
import type { StoredEvent } from '../events/event-log.js';
import type { HubIdentity } from '../identity/hub-identity.js';
import type { ClipRecord } from '../storage/footage.js';
import { openMedia, readMedia } from '../vault/media-reader.js';
import { isSealedPath, plainName, SEALED_SUFFIX } from '../vault/plain-copies.js';
import { renderIncidentLog, type TimelineItem, type TimelineSnapshot } from './incident-log.js';
import { snapshotMoment } from './package-contents.js';
import { homeTimeZone } from './package-format.js';

interface LogRow {
  id: string;
  title: string;
  created_by: string;
  created_at: number;
  event_count: number;
  path: string;
  sha256: string;
}

const IMAGE_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

export function registerIncidentRoutes(core: HubCore, identity: HubIdentity): void {
  const { http, db, audit } = core;
  const log = core.log.child({ module: 'incident-log' });

  const eventsFor = async (b: {
    eventSeqs?: number[] | undefined;
    fromTs?: number | undefined;
    toTs?: number | undefined;
    names?: string[] | undefined;
  }) => {
    await core.eventLog.flush();
    if (b.eventSeqs) {
      const rows = await db.all<{ seq: number; ts: number; name: EventName; source: string; correlation_id: string; payload: string }>(
        `SELECT * FROM events WHERE seq IN (${b.eventSeqs.map(() => '?').join(',')}) ORDER BY ts, seq`,
        b.eventSeqs,
      );
      // A silent event asked for by number is answered exactly like one that does not exist.
      const shown = rows.filter((r) => core.policy.mayShow('advocate_log', r.name, JSON.parse(r.payload)));
      const found = new Set(shown.map((r) => r.seq));
      const missing = b.eventSeqs.filter((s) => !found.has(s));
      if (missing.length > 0) throw new ValidationError(`eventSeqs: no event #${missing[0]} on this hub`, { field: 'eventSeqs', missing });
      return shown.map(
        (r): StoredEvent => ({
          seq: r.seq,
          ts: r.ts,
          name: r.name,
          source: r.source,
          correlationId: r.correlation_id,
          payload: JSON.parse(r.payload),
        }),
      );
    }
    const filter: Parameters<typeof core.eventLog.query>[0] = { from: b.fromTs ?? 0, to: b.toTs ?? Number.MAX_SAFE_INTEGER, limit: 5000 };
    if (b.names) filter.names = b.names;
    return (await core.eventLog.query(filter))
      .filter((e) => core.policy.mayShow('advocate_log', e.name, e.payload))
      .sort((a, c) => a.ts - c.ts || a.seq - c.seq);
  };

  /** A snapshot file's bytes as a data: URI, only from inside the data folder. */
  const inline = async (path: string | null, userId: string): Promise<{ dataUri: string; sha256: string } | null> => {
    if (!path) return null;
    const abs = resolve(core.dataDir, path);
    const type = IMAGE_TYPES[extname(plainName(abs)).toLowerCase()];
    if (!type || relative(core.dataDir, abs).startsWith('..')) return null;
    try {
      // Sealed pictures are opened with the key of the person making the log.
      const bytes = await readMedia(await openMedia(abs, (p) => core.vault.open(userId, p)));
      return { dataUri: `data:${type};base64,${bytes.toString('base64')}`, sha256: sha256Hex(bytes) };
    } catch (err) {
      if (err instanceof HubError && err.code === 'HUB_ERR_LOCKED') throw err;
      log.warn({ path, err: describeError(err) }, 'snapshot for the incident log cannot be read; left out');
      return null;
    }
  };

  const fromClip = async (clip: ClipRecord | undefined, userId: string): Promise<TimelineSnapshot | null> => {
    if (!clip?.snapshotPath) return null;
    const img = await inline(clip.snapshotPath, userId);
    return img && { ...img, clipId: clip.id, showsTs: await snapshotMoment(core, clip) };
  };

  /** The clip's snapshot for a clip; for a camera event, the snapshot of the clip recorded around it. */
  const snapshotFor = async (e: StoredEvent, userId: string): Promise<TimelineSnapshot | null> => {
    const p = e.payload as unknown as { clipId?: unknown; cameraId?: unknown; snapshot?: unknown };
    if (e.name === 'clip.saved' && typeof p.clipId === 'string') return fromClip(await core.footage.clip(p.clipId), userId);
    if (e.name === 'person.snapshot') {
      const s = e.payload as unknown as EventMap['person.snapshot'];
      const img = await inline(s.original.path, userId);
      if (img) return { ...img, clipId: null, showsTs: s.frameTs, kind: 'original' };
    }
    if (e.name === 'person.detected' && typeof p.snapshot === 'string') {
      // Older hub versions drew the box into the only picture they kept: say so.
      const img = await inline(p.snapshot, userId);
      if (img) return { ...img, clipId: null, showsTs: e.ts, kind: 'annotated' };
    }
    if (e.name === 'person.detected' && typeof (p as { snapshotId?: unknown }).snapshotId === 'string') {
      // The picture follows the event, attached by id: the untouched original goes beside it.
      const id = (p as { snapshotId: string }).snapshotId;
      const later = await core.eventLog.query({ names: ['person.snapshot'], from: e.ts, to: e.ts + 5 * 60_000, limit: 500 });
      const snap = later.find((x) => (x.payload as unknown as EventMap['person.snapshot']).snapshotId === id);
      const s = snap?.payload as unknown as EventMap['person.snapshot'] | undefined;
      const img = s ? await inline(s.original.path, userId) : null;
      if (img && s) return { ...img, clipId: null, showsTs: s.frameTs, kind: 'original' };
    }
    if (typeof p.cameraId === 'string') {
      const around = await core.footage.clips({ cameraIds: [p.cameraId], fromTs: e.ts, toTs: e.ts });
      return fromClip(
        around.find((c) => c.snapshotPath && c.startTs <= e.ts && c.endTs >= e.ts),
        userId,
      );
    }
    return null;
  };

  const checkAdvocates = async (ids: string[]) => {
    for (const id of ids) {
      const u = await core.accounts.user(id);
      if (u?.role !== 'advocate') throw new ValidationError(`advocateIds: "${id}" is not an advocate account`, { field: 'advocateIds' });
    }
  };

  const view = async (r: LogRow) => ({
    id: r.id,
    title: r.title,
    createdAt: r.created_at,
    eventCount: r.event_count,
    sha256: r.sha256,
    advocateIds: (await db.all<{ advocate_id: string }>('SELECT advocate_id FROM incident_log_shares WHERE log_id = ?', [r.id])).map(
      (s) => s.advocate_id,
    ),
  });

  http.route({
    method: 'POST',
    url: '/api/incident-logs',
    access: { roles: ['owner'] },
    body: z
      .strictObject({
        title: z.string().trim().min(1).max(200),
        eventSeqs: z.array(z.number().int().min(1)).min(1).max(2000).optional(),
        fromTs: z.number().int().min(0).optional(),
        toTs: z.number().int().min(0).optional(),
        names: z.array(z.string().min(1).max(64)).max(50).optional(),
        includeSnapshots: z.boolean().default(true),
        advocateIds: z.array(z.string().min(1).max(64)).max(20).default([]),
      })
      .refine((b) => b.eventSeqs !== undefined || (b.fromTs !== undefined && b.toTs !== undefined), {
        message: 'give eventSeqs, or fromTs and toTs',
        path: ['eventSeqs'],
      }),
    handler: async ({ body, session }) => {
      await checkAdvocates(body.advocateIds);
      const events = await eventsFor(body);
      const items: TimelineItem[] = [];
      for (const event of events) items.push({ event, snapshot: body.includeSnapshots ? await snapshotFor(event, session.user.id) : null });
      const id = randomUUID();
      const createdAt = core.clock.now();
      const html = renderIncidentLog({
        id,
        title: body.title,
        homeName: core.config.home.name,
        createdAt,
        createdBy: session.user.displayName,
        hubFingerprint: identity.info.fingerprint,
        timeZone: homeTimeZone(createdAt).timeZone,
        items,
      });
      const dir = join(core.dataDir, 'evidence', 'incident-logs');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const plainPath = join(dir, `${id}.html`);
      const path = `${plainPath}${SEALED_SUFFIX}`;
      const bytes = Buffer.from(html, 'utf8');
      // The same integrity statement as a package: the exact bytes, signed by the hub key (in
      // memory while the owner is signed in). The signature reveals nothing and stays plain.
      const signature = identity.sign(bytes);
      // Sealed to the owners and the advocates it is shared with: nobody else can read it.
      await core.vault.sealTo(bytes, path, [...new Set(body.advocateIds)], 0o600);
      await writeFile(`${plainPath}.sig`, signature, { mode: 0o600 });
      const row: LogRow = {
        id,
        title: body.title,
        created_by: session.user.id,
        created_at: createdAt,
        event_count: events.length,
        path: relative(core.dataDir, path),
        sha256: sha256Hex(html),
      };
      await db.transaction(async () => {
        await db.run(
          'INSERT INTO incident_logs (id, title, created_by, created_at, event_count, path, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [row.id, row.title, row.created_by, row.created_at, row.event_count, row.path, row.sha256],
        );
        for (const a of new Set(body.advocateIds))
          await db.run('INSERT INTO incident_log_shares (log_id, advocate_id) VALUES (?, ?)', [id, a]);
      });
      await audit.append({
        action: 'incident_log.created',
        actor: session.user.id,
        subject: {
          incidentLogId: id,
          title: body.title,
          eventSeqs: events.map((e) => e.seq),
          sha256: row.sha256,
          advocateIds: body.advocateIds,
        },
      });
      return { log: await view(row) };
    },
  });

  http.route({
    method: 'PUT',
    url: '/api/incident-logs/:id/shares',
    access: { roles: ['owner'] },
    params: z.strictObject({ id: z.string().uuid() }),
    body: z.strictObject({ advocateIds: z.array(z.string().min(1).max(64)).max(20) }),
    handler: async ({ params, body, session }) => {
      const row = await db.get<LogRow>('SELECT * FROM incident_logs WHERE id = ?', [params.id]);
      if (!row) throw new NotFoundError(`incident log ${params.id}`);
      await checkAdvocates(body.advocateIds);
      // Sharing re-encrypts: the log is opened with the owner's key and sealed again to the owners
      // and exactly the advocates it is shared with now (one who is taken off can no longer read it).
      const abs = resolve(core.dataDir, row.path);
      if (isSealedPath(abs)) {
        const bytes = await readMedia(await openMedia(abs, (p) => core.vault.open(session.user.id, p)));
        // Written beside it and renamed over it: a power cut leaves the old seal or the new one.
        await core.vault.sealTo(bytes, abs, [...new Set(body.advocateIds)], 0o600);
      }
      await db.transaction(async () => {
        await db.run('DELETE FROM incident_log_shares WHERE log_id = ?', [params.id]);
        for (const a of new Set(body.advocateIds))
          await db.run('INSERT INTO incident_log_shares (log_id, advocate_id) VALUES (?, ?)', [params.id, a]);
      });
      await audit.append({
        action: 'incident_log.shared',
        actor: session.user.id,
        subject: { incidentLogId: params.id, advocateIds: body.advocateIds },
      });
      return { log: await view(row) };
    },
  });

  const visible = async (id: string, user: { id: string; role: string }): Promise<LogRow> => {
    const row =
      user.role === 'owner'
        ? await db.get<LogRow>('SELECT * FROM incident_logs WHERE id = ?', [id])
        : await db.get<LogRow>(
            'SELECT l.* FROM incident_logs l JOIN incident_log_shares s ON s.log_id = l.id WHERE l.id = ? AND s.advocate_id = ?',
            [id, user.id],
          );
    if (!row) throw new NotFoundError(`incident log ${id}`);
    return row;
  };

  http.route({
    method: 'GET',
    url: '/api/incident-logs',
    access: { roles: ['owner', 'advocate'] },
    handler: async ({ session }) => {
      const rows =
        session.user.role === 'owner'
          ? await db.all<LogRow>('SELECT * FROM incident_logs ORDER BY created_at DESC')
          : await db.all<LogRow>(
              'SELECT l.* FROM incident_logs l JOIN incident_log_shares s ON s.log_id = l.id WHERE s.advocate_id = ? ORDER BY l.created_at DESC',
              [session.user.id],
            );
      const logs = [];
      for (const r of rows) {
        const v = await view(r);
        // An advocate is not told who else the owner shares with.
        logs.push(session.user.role === 'owner' ? v : { ...v, advocateIds: undefined });
      }
      return { logs };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/incident-logs/:id/html',
    access: { roles: ['owner', 'advocate'] },
    params: z.strictObject({ id: z.string().uuid() }),
    handler: async ({ params, session, reply }) => {
      const row = await visible(params.id, session.user);
      const html = (await readMedia(await openMedia(resolve(core.dataDir, row.path), (p) => core.vault.open(session.user.id, p)))).toString(
        'utf8',
      );
      await audit.append({
        action: 'incident_log.read',
        actor: session.user.id,
        subject: { incidentLogId: row.id, sha256: sha256Hex(html), intact: sha256Hex(html) === row.sha256 },
      });
      reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('x-content-sha256', row.sha256);
      // No scripts and no outside resources: the document is data, not an app.
      reply.header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'");
      return reply.send(html);
    },
  });

  http.route({
    method: 'GET',
    url: '/api/incident-logs/:id/signature',
    access: { roles: ['owner', 'advocate'] },
    params: z.strictObject({ id: z.string().uuid() }),
    handler: async ({ params, session }) => {
      const row = await visible(params.id, session.user);
      const abs = plainName(resolve(core.dataDir, row.path));
      let signature: Buffer;
      try {
        signature = await readFile(`${abs}.sig`);
      } catch (err) {
        log.debug({ err: describeError(err), incidentLogId: row.id }, 'no signature file for this incident log');
        throw new NotFoundError(`a signature for incident log ${row.id} (logs made before signing was added have none)`);
      }
      const info = identity.info;
      return {
        incidentLogId: row.id,
        sha256: row.sha256,
        algorithm: info.algorithm,
        signature: signature.toString('base64'),
        publicKeyPem: info.publicKeyPem,
        fingerprint: info.fingerprint,
        hubId: info.hubId,
      };
    },
  });
}
