/**
 * A hub camera in Apple Home: its doorbell button (a Doorbell service whose press Apple Home turns
 * into a notification and chime) and "Person at the door" (an OccupancySensor driven by the hub's
 * person detection). A track that never sends `person.left` (the hub restarted, an event was
 * lost) clears by itself after `personTimeoutMs`.
 */
import type { API, Service } from 'homebridge';
import { describeAccessory, type SanctuaryAccessory } from './context.js';

export interface CameraOptions {
  id: string;
  doorbell: boolean;
  personSensor: boolean;
  personTimeoutMs: number;
}

export const PERSON_SENSOR_NAME = 'Person at the door';

export class CameraAccessory {
  private doorbellService: Service | null = null;
  private personService: Service | null = null;
  private readonly tracks = new Set<string>();
  private personTimer: NodeJS.Timeout | null = null;
  private hubDown = true;

  constructor(
    private readonly api: API,
    readonly accessory: SanctuaryAccessory,
    private readonly opts: CameraOptions,
  ) {
    const { Service, Characteristic } = api.hap;
    describeAccessory(api, accessory, opts.doorbell ? 'Sanctuary doorbell camera' : 'Sanctuary camera', opts.id);
    const existingBell = accessory.getService(Service.Doorbell);
    if (opts.doorbell) {
      this.doorbellService = existingBell ?? accessory.addService(Service.Doorbell, accessory.displayName);
      // A read of a stateless switch event answers null, as HomeKit expects.
      this.doorbellService.getCharacteristic(Characteristic.ProgrammableSwitchEvent).setProps({
        validValues: [Characteristic.ProgrammableSwitchEvent.SINGLE_PRESS],
      });
    } else if (existingBell) {
      accessory.removeService(existingBell);
    }
    const existingPerson = accessory.getService(Service.OccupancySensor);
    if (opts.personSensor) {
      this.personService = existingPerson ?? accessory.addService(Service.OccupancySensor, PERSON_SENSOR_NAME);
      this.personService.getCharacteristic(Characteristic.OccupancyDetected).onGet(() => this.occupancyValue());
      this.personService.getCharacteristic(Characteristic.StatusFault).onGet(() => this.faultValue());
    } else if (existingPerson) {
      accessory.removeService(existingPerson);
    }
  }

  ring(): void {
    const { Characteristic } = this.api.hap;
    this.doorbellService
      ?.getCharacteristic(Characteristic.ProgrammableSwitchEvent)
      .sendEventNotification(Characteristic.ProgrammableSwitchEvent.SINGLE_PRESS);
  }

  /** `person.detected` and `person.updated`: someone is (still) there. */
  personSeen(trackId: string): void {
    if (!this.personService) return;
    const wasEmpty = this.tracks.size === 0;
    this.tracks.add(trackId);
    if (this.personTimer) clearTimeout(this.personTimer);
    this.personTimer = setTimeout(() => this.clearPeople(), this.opts.personTimeoutMs);
    if (wasEmpty) this.pushOccupancy();
  }

  personLeft(trackId: string): void {
    if (!this.tracks.delete(trackId) || this.tracks.size > 0) return;
    this.clearPeople();
  }

  setHubDown(down: boolean): void {
    this.hubDown = down;
    this.personService?.updateCharacteristic(this.api.hap.Characteristic.StatusFault, this.faultValue());
  }

  /** Release the timer (platform shutdown or the camera removed from the hub). */
  dispose(): void {
    if (this.personTimer) clearTimeout(this.personTimer);
    this.personTimer = null;
  }

  private clearPeople(): void {
    this.dispose();
    this.tracks.clear();
    this.pushOccupancy();
  }

  private pushOccupancy(): void {
    this.personService?.updateCharacteristic(this.api.hap.Characteristic.OccupancyDetected, this.occupancyValue());
  }

  private occupancyValue(): number {
    const { OccupancyDetected } = this.api.hap.Characteristic;
    return this.tracks.size > 0 ? OccupancyDetected.OCCUPANCY_DETECTED : OccupancyDetected.OCCUPANCY_NOT_DETECTED;
  }

  private faultValue(): number {
    const { StatusFault } = this.api.hap.Characteristic;
    return this.hubDown ? StatusFault.GENERAL_FAULT : StatusFault.NO_FAULT;
  }
}
