/** A door, window or gate sensor as a HomeKit ContactSensor with tamper, low battery and fault. */
import type { API, Service } from 'homebridge';
import type { HubSensorStatus } from '../hub-types.js';
import { describeAccessory, type SanctuaryAccessory } from './context.js';

export class ContactSensorAccessory {
  private readonly service: Service;
  private open = false;
  private tamper = false;
  private batteryLow = false;
  private online = true;
  private hubDown = true;

  constructor(
    private readonly api: API,
    readonly accessory: SanctuaryAccessory,
    sensor: { id: string; kind: string },
  ) {
    const { Service, Characteristic } = api.hap;
    describeAccessory(api, accessory, `Sanctuary ${sensor.kind} sensor`, sensor.id);
    this.service = accessory.getService(Service.ContactSensor) ?? accessory.addService(Service.ContactSensor, accessory.displayName);
    this.service.getCharacteristic(Characteristic.ContactSensorState).onGet(() => this.contactValue());
    this.service.getCharacteristic(Characteristic.StatusTampered).onGet(() => this.tamperValue());
    this.service.getCharacteristic(Characteristic.StatusLowBattery).onGet(() => this.batteryValue());
    this.service.getCharacteristic(Characteristic.StatusFault).onGet(() => this.faultValue());
  }

  applyStatus(s: HubSensorStatus): void {
    // Unknown (never heard from) shows as closed; the fault flag says the sensor is not reporting.
    this.open = s.open === true;
    this.tamper = s.tamper;
    this.batteryLow = s.batteryLow;
    this.online = s.online;
    this.push();
  }

  setOpen(open: boolean): void {
    this.open = open;
    this.online = true;
    this.push();
  }

  setTamper(active: boolean): void {
    this.tamper = active;
    this.push();
  }

  setBatteryLow(low: boolean): void {
    this.batteryLow = low;
    this.push();
  }

  setOnline(online: boolean): void {
    this.online = online;
    this.push();
  }

  setHubDown(down: boolean): void {
    this.hubDown = down;
    this.push();
  }

  private contactValue(): number {
    const { ContactSensorState } = this.api.hap.Characteristic;
    return this.open ? ContactSensorState.CONTACT_NOT_DETECTED : ContactSensorState.CONTACT_DETECTED;
  }

  private tamperValue(): number {
    const { StatusTampered } = this.api.hap.Characteristic;
    return this.tamper ? StatusTampered.TAMPERED : StatusTampered.NOT_TAMPERED;
  }

  private batteryValue(): number {
    const { StatusLowBattery } = this.api.hap.Characteristic;
    return this.batteryLow ? StatusLowBattery.BATTERY_LEVEL_LOW : StatusLowBattery.BATTERY_LEVEL_NORMAL;
  }

  private faultValue(): number {
    const { StatusFault } = this.api.hap.Characteristic;
    return this.hubDown || !this.online ? StatusFault.GENERAL_FAULT : StatusFault.NO_FAULT;
  }

  private push(): void {
    const { Characteristic } = this.api.hap;
    this.service.updateCharacteristic(Characteristic.ContactSensorState, this.contactValue());
    this.service.updateCharacteristic(Characteristic.StatusTampered, this.tamperValue());
    this.service.updateCharacteristic(Characteristic.StatusLowBattery, this.batteryValue());
    this.service.updateCharacteristic(Characteristic.StatusFault, this.faultValue());
  }
}
