/**
 * What the demo prints about the hub's events: short, so the sign-in details do not scroll away.
 * The first event of a kind is printed at once; more of the same kind within `windowMs` are
 * counted and summed up in one line when the window ends ("person.detected ×24 in 30 s"). Every
 * event goes to the log at debug level, in full.
 */
import type { EventMap, EventName } from '../api/events.js';
import type { Logger } from '../api/plugin.js';

const PRINTED = ['sensor.', 'alarm.', 'person.', 'clip.', 'alert.', 'camera.', 'panic', 'siren.'];

interface Kind {
  windowEnds: number;
  count: number;
  last: string;
  timer: NodeJS.Timeout | null;
}

const clock = (ts: number) => new Date(ts).toISOString().slice(11, 19);

/** The few words worth a line for an event (names, states), not its whole payload. */
function gist(name: string, e: Record<string, unknown>): string {
  const pick = ['sensorId', 'name', 'cameraId', 'to', 'state', 'kind', 'status', 'trigger', 'on', 'reason'];
  const parts: string[] = [];
  for (const k of pick) {
    const v = e[k];
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') parts.push(`${k}=${v}`);
  }
  if (name === 'clip.saved' && typeof e.startTs === 'number' && typeof e.endTs === 'number')
    parts.push(`${Math.round((e.endTs - e.startTs) / 1000)} s`);
  return parts.join(' ');
}

export class DemoPrinter {
  private readonly kinds = new Map<string, Kind>();

  constructor(
    private readonly say: (line: string) => void,
    private readonly log: Logger,
    private readonly windowMs = 30_000,
  ) {}

  handle(name: EventName, event: EventMap[EventName]): void {
    if (!PRINTED.some((p) => (p.endsWith('.') ? name.startsWith(p) : name === p))) return;
    const { ts, source, correlationId, ...rest } = event as unknown as Record<string, unknown>;
    this.log.debug({ event: name, ts, source, correlationId, payload: rest }, 'demo event');
    const line = `${clock(ts as number)} ${name} ${gist(name, rest)}`.trimEnd();
    const now = Date.now();
    const k = this.kinds.get(name);
    if (!k || now >= k.windowEnds) {
      this.say(`[hub] ${line}`);
      this.kinds.set(name, { windowEnds: now + this.windowMs, count: 0, last: line, timer: null });
      return;
    }
    k.count++;
    k.last = line;
    k.timer ??= setTimeout(() => this.summarise(name), Math.max(0, k.windowEnds - now));
  }

  private summarise(name: string): void {
    const k = this.kinds.get(name);
    if (!k) return;
    k.timer = null;
    if (k.count > 0) this.say(`[hub] ${name} ×${k.count} more in the last ${Math.round(this.windowMs / 1000)} s (latest: ${k.last})`);
    // The next one opens a new window and is printed at once.
    this.kinds.delete(name);
  }

  stop(): void {
    for (const k of this.kinds.values()) if (k.timer) clearTimeout(k.timer);
    this.kinds.clear();
  }
}
