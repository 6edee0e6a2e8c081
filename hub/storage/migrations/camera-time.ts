import type { Migration } from '../migrate.js';

/** Camera time (range 600-609, issue #15). */
export const cameraTimeMigrations: Migration[] = [
  {
    version: 600,
    name: 'camera clock offset per recorded segment',
    // The camera's clock minus the hub's arrival time while the segment was recorded (ms), from
    // the camera's RTCP sender reports; NULL when the camera sent none. Clips and evidence
    // packages carry it so a reader can relate the camera's on-screen time to the hub's.
    sql: 'ALTER TABLE recorder_segments ADD COLUMN camera_offset_ms INTEGER',
  },
  {
    version: 601,
    name: 'camera clock offset per clip',
    // The median of its segments' offsets; the evidence manifest states it beside the clip.
    sql: 'ALTER TABLE clips ADD COLUMN camera_offset_ms INTEGER',
  },
];
