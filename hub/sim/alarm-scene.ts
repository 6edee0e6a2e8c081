/**
 * The demo's alarm scene, played every couple of minutes with the simulated Zigbee devices: arm
 * (away), the front door opens, entry delay, triggered, the siren sounds, then the demo owner
 * disarms with their PIN. Each step is printed for the person watching.
 */
import { randomInt } from 'node:crypto';
import type { AlarmModule } from '../alarm/module.js';
import { describeError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';
import type { Hub } from '../app.js';
import type { ZigbeeSim } from './zigbee-sensors.js';

export interface SceneOptions {
  hub: Hub;
  sim: ZigbeeSim;
  say(text: string): void;
  log: Logger;
  /** Seconds between the start of one scene and the next. */
  everySeconds: number;
  /** How long the siren is left sounding before the owner disarms. */
  sirenSeconds: number;
}

/** Random 6-digit PIN and a different duress PIN. */
export function demoPins(): { pin: string; duressPin: string } {
  const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
  let duressPin = pin;
  while (duressPin === pin) duressPin = String(randomInt(0, 1_000_000)).padStart(6, '0');
  return { pin, duressPin };
}

export class AlarmScene {
  private stopped = false;
  /** Pending sleeps: stopping clears the timer and wakes the sleeper, so the loop ends at once. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private running: Promise<void> | null = null;

  constructor(private readonly o: SceneOptions) {}

  /** Give the demo owner fresh PINs (printed) and start the scene loop. Returns false when there is no alarm or owner. */
  async start(): Promise<boolean> {
    const alarm = this.o.hub.core.module<AlarmModule>('alarm');
    const owner = (await this.o.hub.core.accounts.users()).find((u) => u.role === 'owner' && !u.disabled);
    if (!alarm || !owner) {
      this.o.say('[scene] no alarm module or no owner account: the alarm scene is off');
      return false;
    }
    const { pin, duressPin } = demoPins();
    await alarm.setPins(owner.id, pin, duressPin);
    this.o.say(`Demo alarm PIN for ${owner.username}: ${pin}   duress PIN: ${duressPin}  (random, set for this demo run)`);
    const loop = async () => {
      while (!this.stopped) {
        const started = Date.now();
        try {
          await this.play(alarm, owner.id, pin);
        } catch (err) {
          if (this.stopped) return;
          this.o.log.warn({ err: describeError(err) }, 'demo alarm scene step failed');
          this.o.say(`[scene] step failed: ${describeError(err)}`);
        }
        await this.sleep(Math.max(1, this.o.everySeconds - (Date.now() - started) / 1000));
      }
    };
    this.running = loop();
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
    await this.running;
  }

  private async play(alarm: AlarmModule, ownerId: string, pin: string): Promise<void> {
    const { sim, say, hub } = this.o;
    const cfg = hub.core.config.alarm;
    await sim.close('front_door');
    await sim.close('kitchen_window');
    if (alarm.snapshot().state !== 'disarmed') {
      say('[scene] the alarm is not disarmed (someone is using it): skipping this round');
      return;
    }
    say(`[scene] the owner arms the alarm (away); exit delay ${cfg.exitDelaySeconds} s`);
    await alarm.arm({ mode: 'armed_away', userId: ownerId, pin, force: false, viaToken: false });
    await this.sleep(cfg.exitDelaySeconds + 1);
    if (this.stopped) return;
    say(`[scene] the alarm is ${alarm.snapshot().state}. Someone opens the front door...`);
    await sim.open('front_door');
    await this.sleep(0.5);
    const s = alarm.snapshot();
    if (s.state === 'entry_delay') say(`[scene] entry delay: ${cfg.entryDelaySeconds} s to enter a PIN. Nobody does.`);
    await this.sleep(cfg.entryDelaySeconds + 0.5);
    if (this.stopped) return;
    const t = alarm.snapshot();
    say(`[scene] alarm ${t.state}${t.triggeredBy ? ` by ${t.triggeredBy.name}` : ''}; siren ${t.sirenOn ? 'ON' : 'off'}`);
    await this.sleep(this.o.sirenSeconds);
    if (this.stopped) return;
    say('[scene] the owner disarms with their PIN and closes the door');
    const after = await alarm.disarm({ userId: ownerId, pin, viaToken: false });
    await sim.close('front_door');
    say(
      `[scene] alarm ${after.state}, siren ${after.sirenOn ? 'ON' : 'off'}. Next round in about ${Math.round(this.o.everySeconds / 60)} min.`,
    );
  }

  private sleep(seconds: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, seconds * 1000);
      this.timers.set(t, resolve);
    });
  }
}
