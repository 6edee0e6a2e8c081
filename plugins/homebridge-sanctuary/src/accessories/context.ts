/** What the plugin stores in each cached accessory so a restart knows what it was. */
import type { API, PlatformAccessory } from 'homebridge';

export type AccessoryRole = { type: 'alarm' } | { type: 'sensor'; id: string } | { type: 'camera'; id: string };

export interface SanctuaryContext {
  sanctuary?: AccessoryRole;
  /** The hub's device kind (door, window, doorbell, ...) at the last sync. */
  kind?: string;
}

export type SanctuaryAccessory = PlatformAccessory<SanctuaryContext>;

export function roleKey(role: AccessoryRole): string {
  return role.type === 'alarm' ? 'alarm' : `${role.type}:${role.id}`;
}

export function accessoryUuid(api: API, role: AccessoryRole): string {
  return api.hap.uuid.generate(`homebridge-sanctuary:${roleKey(role)}`);
}

/** Fill in the Accessory Information service every accessory carries. */
export function describeAccessory(api: API, accessory: PlatformAccessory, model: string, serial: string): void {
  const { Service, Characteristic } = api.hap;
  const info = accessory.getService(Service.AccessoryInformation) ?? accessory.addService(Service.AccessoryInformation);
  info.setCharacteristic(Characteristic.Manufacturer, 'Sanctuary');
  info.setCharacteristic(Characteristic.Model, model);
  info.setCharacteristic(Characteristic.SerialNumber, serial);
}
