/** Vision: motion gating, person detection (TF.js in a worker), tracking and zones. */
export { type DetectorConfig, detectorConfigSchema } from './config.js';
export { defaultModelPath, PERSON_DETECTOR_ID, PersonDetectorPlugin, personDetectorPlugin } from './plugin.js';
