/**
 * The hub as an appliance, inside the running hub: the owner's backup download, the health
 * figures an installer who comes back once a year needs (a backup exists, the clock is
 * synchronised, the last shutdown was clean, how much is written to the SD card a day), and the
 * schema history (every release and schema version this database has run under).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BACKUP_REMIND_DAYS, type BackupStatusView } from '../api/appliance.js';
import { describeError } from '../api/errors.js';
import type { HubCore, HubModule } from '../core.js';
import { readClockSync } from '../evidence/clock-sync.js';
import type { IdentityModule } from '../identity/identity-module.js';
import { createBackup } from './backup.js';
import { previousRun, RUN_MARKER, writeRunMarker } from './run-marker.js';
import { importJournal } from './update-journal.js';
import { WriteMeter } from './write-meter.js';

/** After this long without any backup, health stops just mentioning it and turns degraded. */
const BACKUP_GRACE_MS = 24 * 3_600_000;
const CLOCK_CHECK_MS = 60_000;

export class ApplianceModule implements HubModule {
  readonly name = 'appliance';
  private core: HubCore | null = null;
  private marker: NodeJS.Timeout | null = null;

  constructor(private readonly hubVersion: string) {}

  async start(core: HubCore): Promise<void> {
    this.core = core;
    const now = () => core.clock.now();
    await this.recordSchema(core);
    await importJournal(core.dataDir, core.db, core.audit);

    // Clean-shutdown marker: present at start means the last run never reached stop().
    const last = await previousRun(core.dataDir);
    if (last) {
      const at = last.aliveAt ? new Date(last.aliveAt).toISOString() : 'an unknown time';
      core.health.set('shutdown', 'degraded', `the last shutdown was unclean (power cut, crash or kill); last seen alive at ${at}`, {
        unclean: true,
        lastAliveAt: last.aliveAt,
      });
      await core.audit.append({ action: 'hub.unclean_shutdown', actor: 'system', subject: { lastAliveAt: last.aliveAt } });
    } else {
      core.health.set('shutdown', 'ok', 'the last shutdown was clean', { unclean: false });
    }
    await writeRunMarker(core.dataDir, now());
    // The marker's time says roughly when a power cut happened; once a minute is cheap on the card.
    // The updater's outcome (written after this release started) is imported on the same beat.
    this.marker = setInterval(() => {
      writeRunMarker(core.dataDir, now()).catch((err: unknown) =>
        core.log.warn({ err: describeError(err) }, 'could not refresh the run marker'),
      );
      importJournal(core.dataDir, core.db, core.audit).catch((err: unknown) =>
        core.log.error({ err: describeError(err) }, 'could not import the update journal'),
      );
    }, 60_000);
    this.marker.unref();

    core.health.addProbe('backup', async () => {
      const b = await this.backupStatus(core);
      if (b.lastBackupAt !== null) {
        const old = b.remind ? `, older than ${BACKUP_REMIND_DAYS} days: make a new one under Settings → Backup` : '';
        return {
          status: 'ok',
          message: `last backup ${new Date(b.lastBackupAt).toISOString()} (${b.via})${old}`,
          details: { lastBackupAt: b.lastBackupAt, reminder: b.remind },
        };
      }
      const first = await core.db.get<{ ts: number }>('SELECT ts FROM audit_log ORDER BY seq LIMIT 1');
      const age = now() - (first?.ts ?? now());
      return {
        status: age > BACKUP_GRACE_MS ? 'degraded' : 'ok',
        message:
          'no backup of this hub yet: a dead SD card would lose its identity, accounts and settings. Download one under Settings → Backup.',
        details: { lastBackupAt: null, reminder: true },
      };
    });

    // The owner's reminder (Settings → Backup, and a line on home): when, and whether it is time.
    core.http.route({
      method: 'GET',
      url: '/api/backup/status',
      access: { roles: ['owner'] },
      handler: (): Promise<BackupStatusView> => this.backupStatus(core),
    });

    let clockCache: { at: number; r: Awaited<ReturnType<typeof readClockSync>> } | null = null;
    core.health.addProbe('clock-sync', async () => {
      if (!clockCache || now() - clockCache.at > CLOCK_CHECK_MS) clockCache = { at: now(), r: await readClockSync(now) };
      const r = clockCache.r;
      // Unknown (no time service answered) is a note, not a fault: a container sees none while its
      // host keeps time, and the `clock` probe already says degraded when the time is implausible.
      const status = r.state === 'unsynchronised' ? 'degraded' : 'ok';
      const message =
        r.state === 'synchronised'
          ? `synchronised (${r.detail})`
          : r.state === 'unsynchronised'
            ? `the clock is NOT synchronised: evidence times may drift (${r.detail})`
            : `unknown: no time service answered, so the hub cannot tell whether its clock is right (${r.detail.replace(/^clock sync state unknown \((.*)\)$/, '$1')})`;
      return { status, message, details: { state: r.state, offsetMs: r.offsetMs, source: r.source } };
    });

    const meter = await WriteMeter.forPath(core.dataDir, now);
    core.health.addProbe('writes', async () => {
      const m = await meter.read();
      const mb = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MB`;
      return {
        status: 'ok',
        message: m.perDay === null ? `measuring (${m.source})` : `${mb(m.perDay)} written per day (${m.source})`,
        details: { bytesPerDay: m.perDay, bytesSinceStart: m.bytes, source: m.source },
      };
    });

    core.http.route({
      method: 'POST',
      url: '/api/backup',
      access: { roles: ['owner'] },
      body: z.strictObject({
        password: z.string().min(1).max(256),
        passphrase: z.string().min(12, 'a backup passphrase needs at least 12 characters').max(1024),
      }),
      handler: async ({ body, session, reply }) => {
        await core.accounts.confirmPassword(session.user.id, body.password, 'backup.download');
        const id = core.module<IdentityModule>('identity')?.publicInfo ?? null;
        const { bytes, manifest } = await createBackup(body.passphrase, {
          dataDir: core.dataDir,
          db: core.db,
          hubVersion: this.hubVersion,
          fingerprint: id?.fingerprint ?? null,
        });
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        await core.db.run('INSERT INTO appliance_backups (created_at, via, actor, sha256, size) VALUES (?, ?, ?, ?, ?)', [
          now(),
          'download',
          session.user.id,
          sha256,
          bytes.length,
        ]);
        await core.audit.append({
          action: 'backup.downloaded',
          actor: session.user.id,
          subject: { sha256, size: bytes.length, files: manifest.files.length },
        });
        const day = new Date(now()).toISOString().slice(0, 10);
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="hub-backup-${id?.hubId ?? 'hub'}-${day}.age"`)
          .header('cache-control', 'no-store')
          .header('x-content-sha256', sha256)
          .send(Buffer.from(bytes));
      },
    });
  }

  private async backupStatus(core: HubCore): Promise<BackupStatusView> {
    const row = await core.db.get<{ created_at: number; via: string }>(
      'SELECT created_at, via FROM appliance_backups ORDER BY created_at DESC LIMIT 1',
    );
    const remind = !row || core.clock.now() - row.created_at > BACKUP_REMIND_DAYS * 86_400_000;
    return { lastBackupAt: row?.created_at ?? null, via: row?.via ?? null, remind, remindAfterDays: BACKUP_REMIND_DAYS };
  }

  private async recordSchema(core: HubCore): Promise<void> {
    const versions = (await core.db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map(
      (r) => r.version,
    );
    const top = versions.at(-1) ?? 0;
    const last = await core.db.get<{ hub_version: string; versions: string }>(
      'SELECT hub_version, versions FROM schema_history ORDER BY id DESC LIMIT 1',
    );
    const list = JSON.stringify(versions);
    if (last?.hub_version === this.hubVersion && last.versions === list) return;
    await core.db.run('INSERT INTO schema_history (recorded_at, hub_version, schema_version, versions) VALUES (?, ?, ?, ?)', [
      core.clock.now(),
      this.hubVersion,
      top,
      list,
    ]);
  }

  async stop(): Promise<void> {
    if (this.marker) clearInterval(this.marker);
    this.marker = null;
    // Reaching here is a clean shutdown: the next start must not report a power cut.
    if (this.core) await rm(join(this.core.dataDir, RUN_MARKER), { force: true });
    this.core = null;
  }
}
