/** The public contract that plugins, detectors and the UI import. Nothing else in hub/ is public. */
export * from './appliance.js';
export * from './devices.js';
export * from './egress.js';
export * from './errors.js';
export * from './events.js';
export * from './live.js';
export * from './mqtt-topics.js';
export * from './net.js';
export * from './plugin.js';
export * from './roles.js';
export * from './visits.js';
