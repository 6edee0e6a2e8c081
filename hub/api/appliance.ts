/** What the owner's app is told about the hub as an appliance (GET /api/backup/status). */

/** After this many days the last backup counts as old and the owner is reminded again. */
export const BACKUP_REMIND_DAYS = 90;

export interface BackupStatusView {
  /** When the last backup was made (ms since 1970), or null when this hub never had one. */
  lastBackupAt: number | null;
  /** How: `download` (Settings), `cli` (`sanctuary backup`) or `restored from` (this hub came from it). */
  via: string | null;
  /** True when the owner should be reminded: no backup yet, or the last is older than BACKUP_REMIND_DAYS. */
  remind: boolean;
  remindAfterDays: number;
}
