import { describe, expect, it } from 'vitest';
import {
  CurrentState,
  commandForTarget,
  currentStateFor,
  OFFERED_TARGETS,
  TargetState,
  targetStateFor,
} from '../../../plugins/homebridge-sanctuary/src/alarm-mapping.js';

describe('hub alarm -> HomeKit SecuritySystem', () => {
  it('maps settled states one to one', () => {
    expect(currentStateFor('disarmed', null, CurrentState.AWAY_ARM)).toBe(CurrentState.DISARMED);
    expect(currentStateFor('armed_home', 'armed_home', CurrentState.DISARMED)).toBe(CurrentState.STAY_ARM);
    expect(currentStateFor('armed_away', 'armed_away', CurrentState.DISARMED)).toBe(CurrentState.AWAY_ARM);
    expect(currentStateFor('triggered', 'armed_away', CurrentState.AWAY_ARM)).toBe(CurrentState.ALARM_TRIGGERED);
    expect(targetStateFor('disarmed', null, TargetState.AWAY_ARM)).toBe(TargetState.DISARM);
    expect(targetStateFor('armed_home', 'armed_home', TargetState.DISARM)).toBe(TargetState.STAY_ARM);
    expect(targetStateFor('armed_away', 'armed_away', TargetState.DISARM)).toBe(TargetState.AWAY_ARM);
  });

  it('shows "arming" during the exit delay: current stays, target is the mode', () => {
    expect(currentStateFor('arming', 'armed_away', CurrentState.DISARMED)).toBe(CurrentState.DISARMED);
    expect(targetStateFor('arming', 'armed_away', TargetState.DISARM)).toBe(TargetState.AWAY_ARM);
    // Re-arming after an alarm: the siren is over, so the current state is no longer "triggered".
    expect(currentStateFor('arming', 'armed_home', CurrentState.ALARM_TRIGGERED)).toBe(CurrentState.DISARMED);
  });

  it('stays armed during the entry delay, even when first seen mid-delay', () => {
    expect(currentStateFor('entry_delay', 'armed_away', CurrentState.AWAY_ARM)).toBe(CurrentState.AWAY_ARM);
    expect(currentStateFor('entry_delay', 'armed_away', CurrentState.DISARMED)).toBe(CurrentState.AWAY_ARM);
    expect(currentStateFor('entry_delay', 'armed_home', CurrentState.DISARMED)).toBe(CurrentState.STAY_ARM);
    expect(targetStateFor('entry_delay', 'armed_home', TargetState.DISARM)).toBe(TargetState.STAY_ARM);
    expect(targetStateFor('triggered', 'armed_away', TargetState.DISARM)).toBe(TargetState.AWAY_ARM);
    expect(targetStateFor('triggered', null, TargetState.STAY_ARM)).toBe(TargetState.STAY_ARM);
  });
});

describe('HomeKit target -> hub command', () => {
  it('arms home, away, night (as home) and disarms', () => {
    expect(commandForTarget(TargetState.STAY_ARM)).toEqual({ action: 'arm', mode: 'armed_home' });
    expect(commandForTarget(TargetState.AWAY_ARM)).toEqual({ action: 'arm', mode: 'armed_away' });
    expect(commandForTarget(TargetState.NIGHT_ARM)).toEqual({ action: 'arm', mode: 'armed_home' });
    expect(commandForTarget(TargetState.DISARM)).toEqual({ action: 'disarm' });
    expect(commandForTarget(7)).toBeNull();
  });

  it('offers Home, Away and Off only (the hub has no night mode)', () => {
    expect(OFFERED_TARGETS).toEqual([TargetState.STAY_ARM, TargetState.AWAY_ARM, TargetState.DISARM]);
  });
});
