/** System health probes: disk space of the data folder and the clock. */
import { statfs } from 'node:fs/promises';
import type { Clock } from '../api/plugin.js';
import type { HealthRegistry } from './health.js';

const LOW_DISK_BYTES = 1024 * 1024 * 1024;

export async function diskFree(path: string): Promise<{ free: number; total: number }> {
  const s = await statfs(path);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

export function addSystemProbes(health: HealthRegistry, dataDir: string, clock: Clock): void {
  health.addProbe('disk', async () => {
    const { free, total } = await diskFree(dataDir);
    const gb = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GB`;
    return {
      status: free < LOW_DISK_BYTES ? 'degraded' : 'ok',
      message: `${gb(free)} free of ${gb(total)}`,
      details: { freeBytes: free, totalBytes: total, path: dataDir },
    };
  });
  health.addProbe('clock', async () => {
    const now = clock.now();
    // A Pi has no real-time clock: before NTP sync it boots near 1970 or at its last shutdown.
    const plausible = now > Date.UTC(2024, 0, 1);
    return {
      status: plausible ? 'ok' : 'degraded',
      message: plausible ? new Date(now).toISOString() : `clock looks wrong (${new Date(now).toISOString()}); evidence times may be off`,
      details: {
        now,
        timezoneOffsetMinutes: new Date(now).getTimezoneOffset(),
      },
    };
  });
}
