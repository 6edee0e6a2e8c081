/**
 * HAP numbers that hap-nodejs declares as `const enum`s, which a type-only import of `homebridge`
 * cannot read at run time. The values are fixed by the HomeKit Accessory Protocol.
 */
export const HapStatusCode = {
  INSUFFICIENT_PRIVILEGES: -70401,
  SERVICE_COMMUNICATION_FAILURE: -70402,
  INVALID_VALUE_IN_REQUEST: -70410,
} as const;

export const AccessoryCategory = {
  OTHER: 1,
  SENSOR: 10,
  SECURITY_SYSTEM: 11,
} as const;
