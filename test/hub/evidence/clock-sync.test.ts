/** Reading the hub's clock state from chrony, ntpd or timedatectl, and saying "unknown" otherwise. */
import { describe, expect, it } from 'vitest';
import { parseChrony, parseNtpq, parseTimedatectl, readClockSync } from '../../../hub/evidence/clock-sync.js';

const CHRONY = `Reference ID    : C0A80001 (router.lan)
Stratum         : 3
Ref time (UTC)  : Fri Mar 14 21:00:00 2025
System time     : 0.000183021 seconds slow of NTP time
Last offset     : -0.000012345 seconds
Leap status     : Normal
`;

describe('clock sync state', () => {
  it('reads chrony: offset sign and leap status', () => {
    expect(parseChrony(CHRONY)).toMatchObject({ state: 'synchronised', offsetMs: -0.183, source: 'chrony' });
    expect(parseChrony(CHRONY.replace('slow', 'fast').replace('Normal', 'Not synchronised'))).toMatchObject({
      state: 'unsynchronised',
      offsetMs: 0.183,
    });
    expect(parseChrony('506 Cannot talk to daemon')).toBeNull();
  });

  it('reads ntpq and timedatectl', () => {
    expect(parseNtpq('associd=0 status=0615 leap_none, sync_ntp, 1 event, clock_sync,\noffset=-1.250')).toMatchObject({
      state: 'synchronised',
      offsetMs: 1.25,
    });
    expect(parseTimedatectl('yes\n')).toMatchObject({ state: 'synchronised', offsetMs: null, source: 'timedatectl' });
    expect(parseTimedatectl('no\n')).toMatchObject({ state: 'unsynchronised' });
    expect(parseTimedatectl('System has not been booted with systemd')).toBeNull();
  });

  it('falls through the tools in order and says unknown (naming why) when none answers', async () => {
    const asked: string[] = [];
    const none = await readClockSync(
      () => 42,
      async (cmd) => {
        asked.push(cmd);
        throw Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' });
      },
    );
    expect(asked).toEqual(['chronyc', 'ntpq', 'timedatectl']);
    expect(none).toEqual({
      state: 'unknown',
      offsetMs: null,
      source: null,
      checkedAt: 42,
      detail: expect.stringContaining('chronyc: not installed'),
    });
    const viaTimedatectl = await readClockSync(
      () => 1,
      async (cmd) => {
        if (cmd === 'timedatectl') return 'yes\n';
        throw new Error('exit 1');
      },
    );
    expect(viaTimedatectl).toMatchObject({ state: 'synchronised', source: 'timedatectl' });
  });

  it('answers on this machine with a state and a reason, whatever tools it has', async () => {
    const real = await readClockSync(() => Date.now());
    expect(['synchronised', 'unsynchronised', 'unknown']).toContain(real.state);
    expect(real.detail.length).toBeGreaterThan(10);
  });
});
