/**
 * How the hub's alarm maps onto HomeKit's SecuritySystem. Pure functions over HAP's numeric
 * values (fixed by the HomeKit Accessory Protocol), so they are testable without Homebridge.
 *
 * The hub has two armed modes; HomeKit has three. Night is not offered in Apple Home (the target's
 * valid values leave it out), and if a controller writes it anyway it arms the hub's Home mode.
 */
import type { HubAlarmState, HubArmMode } from './hub-types.js';

export const CurrentState = { STAY_ARM: 0, AWAY_ARM: 1, NIGHT_ARM: 2, DISARMED: 3, ALARM_TRIGGERED: 4 } as const;
export const TargetState = { STAY_ARM: 0, AWAY_ARM: 1, NIGHT_ARM: 2, DISARM: 3 } as const;

/** The target values Apple Home offers. */
export const OFFERED_TARGETS: number[] = [TargetState.STAY_ARM, TargetState.AWAY_ARM, TargetState.DISARM];
export const REPORTED_CURRENTS: number[] = [
  CurrentState.STAY_ARM,
  CurrentState.AWAY_ARM,
  CurrentState.DISARMED,
  CurrentState.ALARM_TRIGGERED,
];

function currentForMode(mode: HubArmMode): number {
  return mode === 'armed_away' ? CurrentState.AWAY_ARM : CurrentState.STAY_ARM;
}

function targetForMode(mode: HubArmMode): number {
  return mode === 'armed_away' ? TargetState.AWAY_ARM : TargetState.STAY_ARM;
}

/**
 * The current state to show. While the hub is counting down (exit or entry delay) Apple Home keeps
 * showing the state it showed before, and the target shows where the hub is heading, so the Home
 * app displays "Arming..." during the exit delay.
 */
export function currentStateFor(state: HubAlarmState, mode: HubArmMode | null, previous: number): number {
  switch (state) {
    case 'disarmed':
      return CurrentState.DISARMED;
    case 'armed_home':
      return CurrentState.STAY_ARM;
    case 'armed_away':
      return CurrentState.AWAY_ARM;
    case 'triggered':
      return CurrentState.ALARM_TRIGGERED;
    case 'arming':
      return previous === CurrentState.ALARM_TRIGGERED ? CurrentState.DISARMED : previous;
    case 'entry_delay':
      // Still armed while the entry delay runs; know which mode even after a restart mid-delay.
      if (previous === CurrentState.STAY_ARM || previous === CurrentState.AWAY_ARM) return previous;
      return mode ? currentForMode(mode) : CurrentState.STAY_ARM;
  }
}

export function targetStateFor(state: HubAlarmState, mode: HubArmMode | null, previous: number): number {
  switch (state) {
    case 'disarmed':
      return TargetState.DISARM;
    case 'armed_home':
      return TargetState.STAY_ARM;
    case 'armed_away':
      return TargetState.AWAY_ARM;
    case 'arming':
    case 'entry_delay':
    case 'triggered':
      return mode ? targetForMode(mode) : previous;
  }
}

export type AlarmCommand = { action: 'arm'; mode: HubArmMode } | { action: 'disarm' };

/** What to ask the hub when Apple Home sets a target state; null for a value HomeKit does not define. */
export function commandForTarget(target: number): AlarmCommand | null {
  switch (target) {
    case TargetState.STAY_ARM:
    case TargetState.NIGHT_ARM:
      return { action: 'arm', mode: 'armed_home' };
    case TargetState.AWAY_ARM:
      return { action: 'arm', mode: 'armed_away' };
    case TargetState.DISARM:
      return { action: 'disarm' };
    default:
      return null;
  }
}
