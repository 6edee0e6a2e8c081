/**
 * The clean-shutdown marker: `<data dir>/hub.running` exists while the hub runs and is removed by
 * a clean stop. Found at start, it means the last run ended by power cut, crash or SIGKILL; its
 * content says when that run was last seen alive (refreshed once a minute).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ifMissing } from '../storage/if-missing.js';

export const RUN_MARKER = 'hub.running';

export async function previousRun(dataDir: string): Promise<{ aliveAt: number | null } | null> {
  const text = await ifMissing(readFile(join(dataDir, RUN_MARKER), 'utf8'), null);
  if (text === null) return null;
  // A marker torn by the power cut itself still says the shutdown was unclean.
  const at = Number((JSON.parse(/^\{.*\}$/s.test(text.trim()) ? text : '{}') as { aliveAt?: unknown }).aliveAt);
  return { aliveAt: Number.isFinite(at) && at > 0 ? at : null };
}

export async function writeRunMarker(dataDir: string, aliveAt: number): Promise<void> {
  const p = join(dataDir, RUN_MARKER);
  await writeFile(`${p}.tmp`, JSON.stringify({ pid: process.pid, aliveAt }));
  await rename(`${p}.tmp`, p);
}
