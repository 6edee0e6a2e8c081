/** What the benchmarks share to print figures: percentiles, milliseconds and a process's CPU ticks. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The p-th percentile (nearest rank) of unsorted values; NaN for none. */
export function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

export const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'n/a');

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU ticks a process has used (/proc/<pid>/stat fields 14 and 15). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
