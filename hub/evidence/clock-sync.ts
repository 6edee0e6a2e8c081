/**
 * The hub's clock against true time, for the evidence manifest (NPCC guidance asks for the
 * recorder's clock offset). Asks chrony, then ntpd, then systemd-timesyncd; when none answers
 * the manifest says "unknown" rather than guessing.
 */
import { execFile } from 'node:child_process';

export interface ClockSyncState {
  state: 'synchronised' | 'unsynchronised' | 'unknown';
  /** Hub clock minus true time, in ms (positive: the hub runs fast). Null when not known. */
  offsetMs: number | null;
  source: 'chrony' | 'ntpd' | 'timedatectl' | null;
  detail: string;
  checkedAt: number;
}

export type CommandRunner = (cmd: string, args: string[]) => Promise<string>;

export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 3000, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

/** `chronyc tracking`: "System time : 0.000012 seconds fast of NTP time" and "Leap status : Normal". */
export function parseChrony(out: string): Omit<ClockSyncState, 'checkedAt'> | null {
  const m = /System time\s*:\s*([\d.]+) seconds (fast|slow) of NTP time/.exec(out);
  if (!m?.[1]) return null;
  const seconds = Number(m[1]) * (m[2] === 'fast' ? 1 : -1);
  const leap = /Leap status\s*:\s*(.+)/.exec(out)?.[1]?.trim() ?? 'unknown';
  return {
    state: leap === 'Not synchronised' ? 'unsynchronised' : 'synchronised',
    offsetMs: Math.round(seconds * 1e6) / 1e3,
    source: 'chrony',
    detail: `chrony: ${m[1]} s ${m[2]} of NTP time, leap status ${leap}`,
  };
}

/** `ntpq -c "rv 0 offset,sync_ntp"` style output: "offset=-0.123" in ms, sync in the status word. */
export function parseNtpq(out: string): Omit<ClockSyncState, 'checkedAt'> | null {
  const m = /offset=(-?[\d.]+)/.exec(out);
  if (!m?.[1]) return null;
  // ntpd reports the local clock's offset from the server: positive means the hub is behind.
  const offsetMs = -Number(m[1]);
  const synced = /sync_ntp|leap_none/.test(out);
  return {
    state: synced ? 'synchronised' : 'unsynchronised',
    offsetMs,
    source: 'ntpd',
    detail: `ntpd: offset ${m[1]} ms${synced ? '' : ' (not synchronised)'}`,
  };
}

/** `timedatectl show -p NTPSynchronized --value`: yes/no, no offset. */
export function parseTimedatectl(out: string): Omit<ClockSyncState, 'checkedAt'> | null {
  const v = out.trim();
  if (v !== 'yes' && v !== 'no') return null;
  return {
    state: v === 'yes' ? 'synchronised' : 'unsynchronised',
    offsetMs: null,
    source: 'timedatectl',
    detail: `systemd-timesyncd reports NTPSynchronized=${v}; offset not reported`,
  };
}

export async function readClockSync(now: () => number, run: CommandRunner = runCommand): Promise<ClockSyncState> {
  const attempts: Array<[string, string[], (out: string) => Omit<ClockSyncState, 'checkedAt'> | null]> = [
    ['chronyc', ['tracking'], parseChrony],
    ['ntpq', ['-c', 'rv 0 offset,leap,status'], parseNtpq],
    ['timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], parseTimedatectl],
  ];
  const tried: string[] = [];
  for (const [cmd, args, parse] of attempts) {
    let out: string;
    try {
      out = await run(cmd, args);
    } catch (err) {
      tried.push(`${cmd}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : 'no answer'}`);
      continue;
    }
    const parsed = parse(out);
    if (parsed) return { ...parsed, checkedAt: now() };
    tried.push(`${cmd}: unrecognised output`);
  }
  return { state: 'unknown', offsetMs: null, source: null, detail: `clock sync state unknown (${tried.join('; ')})`, checkedAt: now() };
}
