/**
 * The hub's alarm as a HomeKit SecuritySystem. Writes from Apple Home become arm/disarm calls on
 * the hub; the displayed state follows the hub's `alarm.state_changed` events. Only the alarm's
 * state is shown: a covert panic or a duress disarm must look like nothing happened, so the
 * platform never feeds `panic` / `duress` events in here.
 */
import type { API, CharacteristicValue, Logging, Service } from 'homebridge';
import {
  CurrentState,
  commandForTarget,
  currentStateFor,
  OFFERED_TARGETS,
  REPORTED_CURRENTS,
  TargetState,
  targetStateFor,
} from '../alarm-mapping.js';
import { describeError, SanctuaryPluginError } from '../errors.js';
import { HapStatusCode } from '../hap-constants.js';
import type { HubClient } from '../hub-client.js';
import type { HubAlarmState, HubArmMode } from '../hub-types.js';
import { describeAccessory, type SanctuaryAccessory } from './context.js';

export class SecuritySystemAccessory {
  private readonly service: Service;
  private current: number = CurrentState.DISARMED;
  private target: number = TargetState.DISARM;
  private faulted = true;

  constructor(
    private readonly api: API,
    readonly accessory: SanctuaryAccessory,
    private readonly hub: HubClient,
    private readonly log: Logging,
  ) {
    const { Service, Characteristic } = api.hap;
    describeAccessory(api, accessory, 'Sanctuary alarm', 'alarm');
    this.service = accessory.getService(Service.SecuritySystem) ?? accessory.addService(Service.SecuritySystem, accessory.displayName);
    this.service
      .getCharacteristic(Characteristic.SecuritySystemCurrentState)
      .setProps({ validValues: REPORTED_CURRENTS })
      .onGet(() => this.current);
    this.service
      .getCharacteristic(Characteristic.SecuritySystemTargetState)
      .setProps({ validValues: OFFERED_TARGETS })
      .onGet(() => this.target)
      .onSet((value) => this.setTarget(value));
    this.service.getCharacteristic(Characteristic.StatusFault).onGet(() => this.faultValue());
  }

  /** Show the hub's alarm state (from a snapshot or an `alarm.state_changed` event). */
  applyAlarm(state: HubAlarmState, mode: HubArmMode | null): void {
    const { Characteristic } = this.api.hap;
    this.current = currentStateFor(state, mode, this.current);
    this.target = targetStateFor(state, mode, this.target);
    this.service.updateCharacteristic(Characteristic.SecuritySystemTargetState, this.target);
    this.service.updateCharacteristic(Characteristic.SecuritySystemCurrentState, this.current);
  }

  setFault(faulted: boolean): void {
    this.faulted = faulted;
    this.service.updateCharacteristic(this.api.hap.Characteristic.StatusFault, this.faultValue());
  }

  private faultValue(): number {
    const { StatusFault } = this.api.hap.Characteristic;
    return this.faulted ? StatusFault.GENERAL_FAULT : StatusFault.NO_FAULT;
  }

  private async setTarget(value: CharacteristicValue): Promise<void> {
    const { HapStatusError } = this.api.hap;
    const command = typeof value === 'number' ? commandForTarget(value) : null;
    if (!command) {
      this.log.warn(`Apple Home asked for an unknown alarm target state (${String(value)}): ignored`);
      throw new HapStatusError(HapStatusCode.INVALID_VALUE_IN_REQUEST);
    }
    const what = command.action === 'disarm' ? 'disarm' : `arm (${command.mode === 'armed_away' ? 'away' : 'home'})`;
    try {
      if (command.action === 'disarm') await this.hub.disarm();
      else await this.hub.arm(command.mode);
      this.log.info(`Apple Home asked the hub to ${what}`);
      this.target =
        command.action === 'disarm' ? TargetState.DISARM : command.mode === 'armed_away' ? TargetState.AWAY_ARM : TargetState.STAY_ARM;
    } catch (err) {
      if (err instanceof SanctuaryPluginError && err.code === 'SANCTUARY_HB_FORBIDDEN') {
        const scope = command.action === 'disarm' ? 'alarm:disarm' : 'alarm:arm';
        this.log.warn(
          `Apple Home asked the hub to ${what}, but the owner has not allowed that from Apple Home: the hub's token lacks the "${scope}" scope. ` +
            "Nothing was changed. To allow it, issue a token with that scope in the hub and put it in this plugin's settings.",
        );
        this.revertSoon();
        throw new HapStatusError(HapStatusCode.INSUFFICIENT_PRIVILEGES);
      }
      this.log.error(`Apple Home asked the hub to ${what}, and it failed: ${describeError(err)}`);
      this.revertSoon();
      throw new HapStatusError(HapStatusCode.SERVICE_COMMUNICATION_FAILURE);
    }
  }

  /** After a refused write, tell every controller the target it still has (after HAP answers the write). */
  private revertSoon(): void {
    setImmediate(() => {
      this.service.updateCharacteristic(this.api.hap.Characteristic.SecuritySystemTargetState, this.target);
    });
  }
}
