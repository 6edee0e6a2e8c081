/**
 * Every schema migration, in order. Each concern adds its own file; numbers are never reused or
 * edited once released. Ranges: 1-99 core, 100-199 camera/recorder, 200-299 detection,
 * 300-399 sensors/alarm, 400-499 consent/alerts, 500-599 evidence/audit, 600-699 ui/integrations.
 */
import type { Migration } from '../migrate.js';
import { accountMigrations } from './accounts.js';
import { alarmMigrations } from './alarm.js';
import { alertsMigrations } from './alerts.js';
import { applianceMigrations } from './appliance.js';
import { cameraTimeMigrations } from './camera-time.js';
import { coreMigrations } from './core.js';
import { deviceSecretMigrations } from './device-secrets.js';
import { evidenceMigrations } from './evidence.js';
import { keyMigrations } from './keys.js';
import { pushMigrations } from './push.js';
import { recorderMigrations } from './recorder.js';
import { verificationMigrations } from './verification.js';

export const MIGRATIONS: readonly Migration[] = [
  ...coreMigrations,
  ...accountMigrations,
  ...keyMigrations,
  ...evidenceMigrations,
  ...alertsMigrations,
  ...alarmMigrations,
  ...recorderMigrations,
  ...verificationMigrations,
  ...pushMigrations,
  ...deviceSecretMigrations,
  ...applianceMigrations,
  ...cameraTimeMigrations,
];
