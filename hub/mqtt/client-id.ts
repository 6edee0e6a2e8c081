/**
 * The hub's MQTT client id: made once per hub and kept in `hub_state`, so after a restart the
 * broker recognises the hub and hands over the persistent session it queued meanwhile.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../storage/database.js';

export async function mqttClientId(db: Database, now: number): Promise<string> {
  const row = await db.get<{ value: string }>("SELECT value FROM hub_state WHERE key = 'mqtt_client_id'");
  if (row) return row.value;
  const id = `sanctuary-hub-${randomBytes(6).toString('hex')}`;
  await db.run("INSERT INTO hub_state (key, value, updated_at) VALUES ('mqtt_client_id', ?, ?) ON CONFLICT(key) DO NOTHING", [id, now]);
  return (await db.get<{ value: string }>("SELECT value FROM hub_state WHERE key = 'mqtt_client_id'"))?.value ?? id;
}
