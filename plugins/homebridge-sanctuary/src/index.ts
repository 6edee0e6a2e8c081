/** Homebridge entry point: registers the SanctuaryHub dynamic platform. */
import type { API } from 'homebridge';
import { SanctuaryPlatform } from './platform.js';
import { PLATFORM_NAME, PLUGIN_NAME } from './settings.js';

export default (api: API): void => {
  api.registerPlatform(PLUGIN_NAME, PLATFORM_NAME, SanctuaryPlatform);
};
