/**
 * Settings → Backup: the owner downloads one encrypted file (database, settings, the hub's keys;
 * no footage). Her password is asked again (the file holds the whole audit log, silent alarms
 * included), and a passphrase she chooses encrypts it; the hub records that a backup was made.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { BackupStatusView } from '../../../../hub/api/appliance.js';
import { get, request } from '../../api.js';
import { ErrorText, Field, formatTime, Notice, useAction } from '../../components/form.js';
import { navigate } from '../../router.js';

/** The last backup as the hub knows it; `reload` after making one. */
function useBackupStatus(): { status: BackupStatusView | null; reload: () => void } {
  const [status, setStatus] = useState<BackupStatusView | null>(null);
  const reload = useCallback(() => {
    get<BackupStatusView>('/api/backup/status').then(setStatus, (err: unknown) => console.warn('backup status', err));
  }, []);
  useEffect(reload, [reload]);
  return { status, reload };
}

function lastBackupWords(s: BackupStatusView): string {
  if (s.lastBackupAt === null) return 'No backup of this hub yet.';
  const how = s.via === 'download' ? 'downloaded here' : s.via === 'cli' ? 'made on the hub' : 'the one this hub was restored from';
  const old = s.remind ? ` That is more than ${s.remindAfterDays} days ago: a new one would keep recent changes.` : '';
  return `Last backup ${formatTime(s.lastBackupAt)} (${how}).${old}`;
}

/** A gentle line for the home page's glance list, only when a backup is missing or old. */
export function BackupGlance() {
  const { status } = useBackupStatus();
  if (!status?.remind) return null;
  return (
    <li data-testid="glance-backup">
      <span class="row-title">
        <a
          href="/settings"
          onClick={(e) => {
            e.preventDefault();
            navigate('/settings');
          }}
        >
          Backup
        </a>
      </span>
      <span class="status unknown">{status.lastBackupAt === null ? 'none yet: make one in Settings' : 'a new one is due'}</span>
    </li>
  );
}

export function BackupCard() {
  const [password, setPassword] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const { status, reload } = useBackupStatus();
  return (
    <form
      class="card"
      aria-labelledby="backup-h"
      onSubmit={(e) => {
        e.preventDefault();
        if (passphrase !== again) {
          setError('The two passphrases are not the same.');
          return;
        }
        void run(async () => {
          const res = await request('POST', '/api/backup', { password, passphrase });
          const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'hub-backup.age';
          const url = URL.createObjectURL(await res.blob());
          const a = document.createElement('a');
          a.href = url;
          a.download = name;
          a.click();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
          setPassword('');
          setPassphrase('');
          setAgain('');
          setDone(name);
          reload();
        });
      }}
    >
      <h2 id="backup-h">Backup</h2>
      <p>
        One file with your accounts, settings and this hub's keys (no video). If the hub breaks, a new one can become this hub again from
        it. Keep the file and its passphrase in different places.
      </p>
      {status && (
        <p data-testid="backup-last" class="hint">
          {lastBackupWords(status)}
        </p>
      )}
      <Field label="Your password" type="password" autoComplete="current-password" value={password} onValue={setPassword} required />
      <Field
        label="Passphrase for the file"
        type="password"
        autoComplete="new-password"
        value={passphrase}
        onValue={setPassphrase}
        required
        hint="At least 12 characters. Without it the file cannot be opened, by anyone."
      />
      <Field label="Passphrase again" type="password" autoComplete="new-password" value={again} onValue={setAgain} required />
      <ErrorText error={error} />
      {done && <Notice>Backup saved as {done}.</Notice>}
      <button type="submit" class="primary" disabled={busy}>
        Download backup
      </button>
    </form>
  );
}
