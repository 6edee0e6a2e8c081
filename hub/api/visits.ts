/**
 * A visit: what happened at the door as one story (`GET /api/visits`). Door activity (a doorbell
 * press, persons seen, sensors that opened, the clips recorded) that follows on within a short
 * gap is one visit, however many detections it took. Which events and clips reach a visit is
 * the hub's visibility policy's decision; a visit is built only from what the surface may show.
 */
export interface VisitClipView {
  id: string;
  cameraId: string;
  startTs: number;
  endTs: number;
  videoUrl: string;
  snapshotUrl: string | null;
}

export interface VisitView {
  /** Stable for the same first fact (the first event's sequence number, or the first clip's id). */
  id: string;
  startTs: number;
  endTs: number;
  cameraIds: string[];
  /** When the doorbell was pressed during the visit (empty: nobody rang). */
  doorbellTs: number[];
  /** How many person detections were reported, and when the first came. */
  persons: { count: number; firstTs: number | null };
  /** Sensors that opened during the visit, in order, each once. */
  sensors: Array<{ sensorId: string; name: string; ts: number }>;
  /** Clips recorded for it, oldest first (a long visit has several, each continuing the last). */
  clips: VisitClipView[];
  /** The stored events it groups (for the incident-log picker). */
  eventSeqs: number[];
}
