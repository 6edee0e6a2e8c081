/**
 * `sanctuary verify`: for an officer, checks an evidence package offline; for anyone holding the
 * hub's data folder (or a copy of its SD card), re-walks the audit chain. Needs only Node.
 * Exit codes: 0 verified, 1 verification failed, 2 usage or unreadable input.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../api/errors.js';
import { verifyAuditDatabase } from '../audit/audit-readonly.js';
import { verifyPackage } from '../evidence/package-verifier.js';
import { formatFingerprint } from '../identity/hub-identity.js';

const USAGE = `Usage:
  sanctuary verify <package.zip> [--fingerprint <hex>]   check an evidence package
  sanctuary verify --audit [--data-dir <dir>]              re-walk the hub's audit chain

Options:
  --fingerprint <hex>   the hub key fingerprint you got from the hub (GET /api/identity);
                        without it the package is only checked against its own key
  --audit               verify the audit log of the hub database (opened read-only)
  -d, --data-dir <dir>  the hub's data folder (default $SANCTUARY_DATA_DIR or ./data)
  -q, --quiet           print only problems and the verdict
`;

export interface Output {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

const stdio: Output = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: process.stderr.isTTY === true,
};

export async function runVerify(args: string[], io: Output = stdio): Promise<number> {
  let values: {
    fingerprint?: string | undefined;
    audit?: boolean | undefined;
    'data-dir'?: string | undefined;
    quiet?: boolean | undefined;
    help?: boolean | undefined;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        fingerprint: { type: 'string' },
        audit: { type: 'boolean' },
        'data-dir': { type: 'string', short: 'd' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    io.err(`sanctuary verify: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (values.audit) return verifyAudit(values['data-dir'], io);
  const [zip, ...extra] = positionals;
  if (!zip || extra.length > 0) {
    io.err(`sanctuary verify: give one package file\n${USAGE}`);
    return 2;
  }
  return verifyZip(zip, values.fingerprint, values.quiet === true, io);
}

async function verifyAudit(dataDirArg: string | undefined, io: Output): Promise<number> {
  const dbPath = join(resolve(dataDirArg ?? process.env.SANCTUARY_DATA_DIR ?? './data'), 'sanctuary.db');
  try {
    const v = await verifyAuditDatabase(dbPath);
    if (v.ok) {
      io.out(`ok    audit log: ${v.count} entries, every link holds (head ${v.headHash ?? 'none'})\n`);
      return 0;
    }
    io.out(`FAIL  audit log: ${v.problem}\n      first broken link at entry ${v.seq} of ${v.count}\n`);
    return 1;
  } catch (err) {
    io.err(`sanctuary verify: ${describeError(err)}\n`);
    return 2;
  }
}

async function verifyZip(path: string, fingerprint: string | undefined, quiet: boolean, io: Output): Promise<number> {
  let lastShown = -1;
  const started = Date.now();
  const progress = (done: number, total: number) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    // One redrawn line on a terminal; elsewhere (logs, CI) a line every 25%.
    if (io.isTTY ? pct === lastShown : Math.floor(pct / 25) === Math.floor(lastShown / 25)) return;
    lastShown = pct;
    const line = `hashing ${pct}% (${(done / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB)`;
    io.err(io.isTTY ? `\r${line}` : `${line}\n`);
  };
  let report: Awaited<ReturnType<typeof verifyPackage>>;
  try {
    report = await verifyPackage(resolve(path), { expectedFingerprint: fingerprint, ...(quiet ? {} : { onProgress: progress }) });
  } catch (err) {
    if (io.isTTY && lastShown >= 0) io.err('\n');
    io.err(`sanctuary verify: ${describeError(err)}\n`);
    return 2;
  }
  if (io.isTTY && lastShown >= 0) io.err('\n');
  const m = report.manifest;
  if (!quiet) {
    if (m?.request) io.out(`package  ${m.exportId ?? '?'} for crime reference ${m.request.crimeReference} (${m.request.force})\n`);
    for (const p of report.passed) io.out(`ok    ${p}\n`);
    for (const w of Array.isArray(m?.windows) ? m.windows : []) {
      const gaps = w.gaps.map((g) => `${g.from} to ${g.to} ${g.reason}`).join('; ');
      io.out(
        `window ${w.cameraName} (${w.cameraId}): ${(w.coveredMs / 1000).toFixed(1)} s of ${((w.toTs - w.fromTs) / 1000).toFixed(1)} s recorded${gaps ? `, gaps: ${gaps}` : ', no gaps'}\n`,
      );
    }
  }
  for (const p of report.problems) io.out(`FAIL  ${p}\n`);
  if (report.fingerprint) {
    io.out(`key   hub ${m?.hub?.id ?? '?'}, fingerprint ${formatFingerprint(report.fingerprint)}\n`);
    if (fingerprint === undefined && report.ok) {
      io.out(
        'note  compare that fingerprint with the one the hub shows (or pass --fingerprint): a package re-signed with another key is self-consistent too\n',
      );
    }
  }
  io.out(
    report.ok
      ? `VERIFIED  every file, the signature and the custody chain hold (${((Date.now() - started) / 1000).toFixed(1)} s)\n`
      : `NOT VERIFIED  ${report.problems.length} problem(s) found\n`,
  );
  return report.ok ? 0 : 1;
}
