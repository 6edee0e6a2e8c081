/** Plain words for alarm states and events, shared by the status card and the timeline. */
import type { AlarmState } from '../../../hub/api/events.js';
import type { AlarmStatus } from '../view-types.js';

export function stateWords(s: AlarmStatus, now: number): { title: string; detail: string } {
  const left = s.delayEndsAt ? Math.max(0, Math.ceil((s.delayEndsAt - now) / 1000)) : null;
  const by = typeof s.triggeredBy === 'string' ? s.triggeredBy : s.triggeredBy?.name;
  const titles: Record<AlarmState, string> = {
    disarmed: 'Alarm off',
    arming: 'Arming',
    armed_home: 'Armed (staying in)',
    armed_away: 'Armed (going out)',
    entry_delay: 'Enter your PIN',
    triggered: 'Alarm',
  };
  const details: Record<AlarmState, string> = {
    disarmed: 'Doors and windows are not being watched.',
    arming: left !== null ? `Watching starts in ${left} s.` : 'Watching starts soon.',
    armed_home: 'Doors and windows are watched.',
    armed_away: 'All sensors are watched.',
    entry_delay: left !== null ? `Someone came in. ${left} s to disarm.` : 'Someone came in.',
    triggered: by ? `Set off by ${by}.` : 'The alarm went off.',
  };
  // Armed over an open door or window: say so where she looks first, not only in the sensor list.
  const paused = s.sensors.filter((x) => x.bypassed).map((x) => x.name);
  const detail =
    paused.length > 0 && s.state !== 'disarmed' ? `${details[s.state]} Paused until closed: ${paused.join(', ')}.` : details[s.state];
  return { title: titles[s.state], detail };
}

const EVENT_WORDS: Record<string, string> = {
  'sensor.opened': 'opened',
  'sensor.closed': 'closed',
  'sensor.tamper': 'tampered with',
  'sensor.battery_low': 'battery low',
  'sensor.offline': 'stopped reporting',
  'sensor.online': 'reporting again',
  'button.pressed': 'button pressed',
  'camera.online': 'Camera online',
  'camera.offline': 'Camera offline',
  'camera.doorbell': 'Doorbell rang',
  'person.detected': 'Person at the door',
  'alarm.triggered': 'Alarm went off',
  'siren.changed': 'Siren',
  panic: 'Help requested',
  'clip.saved': 'Clip saved',
  'alert.status_changed': 'Alert',
  'request.created': 'Police asked for footage',
  'request.decided': 'You answered a police request',
  'smartwater.used': 'SmartWater used',
  'intrusion.confirmed': 'Break-in confirmed',
};

/**
 * One line for a stored or live event (null: not worth a line on the timeline). Which events
 * reach this screen at all is the hub's visibility policy's decision, not this function's.
 */
export function eventWords(name: string, p: Record<string, unknown>): string | null {
  if (name === 'alarm.pin_rejected' || name.startsWith('health.') || name.startsWith('hub.')) return null;
  if (name === 'alarm.state_changed') {
    const to = String(p.to);
    if (to === 'disarmed') return 'Alarm turned off';
    if (to === 'arming') return 'Alarm arming';
    if (to === 'armed_home' || to === 'armed_away') return 'Alarm armed';
    if (to === 'entry_delay') return 'Someone came in';
    if (to === 'triggered') return 'Alarm went off';
    return null;
  }
  if (name === 'siren.changed') return p.on ? 'Siren on' : 'Siren off';
  const words = EVENT_WORDS[name];
  if (!words) return null;
  if (name.startsWith('sensor.') && typeof p.name === 'string') return `${p.name} ${words}`;
  return words;
}
