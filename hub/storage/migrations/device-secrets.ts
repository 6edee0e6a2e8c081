/**
 * Camera passwords kept apart from the device settings (range 610-619): the settings body can be
 * shown, exported and logged; the secret is read only by the device registry.
 */
import type { Migration } from '../migrate.js';

export const deviceSecretMigrations: Migration[] = [
  {
    version: 610,
    name: 'device secrets (camera passwords apart from settings)',
    sql: `
      CREATE TABLE device_secrets (
        device_id TEXT PRIMARY KEY,
        password TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];
