/**
 * `sanctuary exports [--data-dir D] [--watch]`: evidence package builds and their progress, read
 * straight from the hub's database (opened read-only) on the hub machine, so an installer or the
 * owner at a terminal can follow a long export without the web app.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Database } from '../storage/database.js';

interface ExportLine {
  id: string;
  crime_reference: string;
  state: string;
  phase: string;
  done: number;
  total: number;
  size: number | null;
  error: string | null;
  created_at: number;
}

async function readExports(dbPath: string): Promise<ExportLine[]> {
  const db = await Database.open(dbPath, { readOnly: true });
  try {
    return await db.all<ExportLine>(
      `SELECT e.id, r.crime_reference, e.state, e.phase, e.done, e.total, e.size, e.error, e.created_at
         FROM evidence_exports e JOIN police_requests r ON r.id = e.request_id ORDER BY e.created_at`,
    );
  } finally {
    await db.close();
  }
}

export function formatExport(e: ExportLine): string {
  const pct = e.total > 0 ? Math.floor((e.done / e.total) * 100) : e.state === 'ready' ? 100 : 0;
  const bar = `${'#'.repeat(Math.round(pct / 5)).padEnd(20, '.')}`;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const tail =
    e.state === 'ready'
      ? `ready${e.size !== null ? `, ${mb(e.size)}` : ''}`
      : e.state === 'failed'
        ? `FAILED: ${e.error ?? 'unknown'}`
        : e.phase;
  return `${new Date(e.created_at).toISOString().slice(0, 19)}Z  ${e.crime_reference.padEnd(18)} [${bar}] ${String(pct).padStart(3)}%  ${tail}`;
}

export async function runExports(args: string[]): Promise<number> {
  let values: { 'data-dir'?: string | undefined; watch?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { 'data-dir': { type: 'string', short: 'd' }, watch: { type: 'boolean', short: 'w' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`sanctuary exports: ${(err as Error).message}\n`);
    return 2;
  }
  const dbPath = join(values['data-dir'] ?? process.env.SANCTUARY_DATA_DIR ?? 'data', 'sanctuary.db');
  for (;;) {
    let rows: ExportLine[];
    try {
      rows = await readExports(dbPath);
    } catch (err) {
      process.stderr.write(`sanctuary exports: ${(err as Error).message}\n`);
      return 1;
    }
    if (rows.length === 0) process.stdout.write('no evidence exports yet\n');
    for (const r of rows) process.stdout.write(`${formatExport(r)}\n`);
    if (!values.watch || !rows.some((r) => r.state === 'running')) return rows.some((r) => r.state === 'failed') ? 1 : 0;
    process.stdout.write('\n');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
