/**
 * Which frame a fragment's camera time (its `prft` box) belongs to.
 *
 * ffmpeg's RTP demuxer gives every packet the camera's NTP time for its RTP time (from the
 * sender reports), but its H.264/H.265 parser hands a packet's side data on with the frame the
 * packet completes: the frame before it. On the ffmpeg the hub ships with (Debian 12, 5.1) the
 * prft box of fragment k therefore carries frame k+1's camera time while naming fragment k's
 * media time. On a camera without B-frames that puts every frame one frame interval late; on one
 * with B-frames, frames' camera times jump back and forth by the reordering (up to 500 ms on the
 * people-walking clip), which is what the evidence and the latency figures then showed.
 *
 * The sender reports map RTP time to NTP time linearly, so the right pairing is the one whose
 * offset (camera time minus media time) stays put from frame to frame. Both readings are kept
 * over the last fragments: the next-frame one is taken unless the same-frame one is clearly
 * steadier (an ffmpeg whose parser does not delay the side data). Without reordering the two are
 * equally steady and the next-frame reading, this ffmpeg's, stands.
 */
const WINDOW = 24;
/** Spread (ms, median absolute deviation) by which one reading must beat the other to be taken. */
const CLEARLY_MS = 10;

export type PrftReading = 'next-frame' | 'same-frame';

/** The middle value (upper middle of an even count); 0 of none. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function spread(xs: readonly number[]): number {
  if (xs.length === 0) return Number.POSITIVE_INFINITY;
  const mid = median(xs);
  return median(xs.map((x) => Math.abs(x - mid)));
}

export class PrftPairing {
  private prev: { mediaMs: number; prftMs: number } | null = null;
  private readonly same: number[] = [];
  private readonly next: number[] = [];
  private current: PrftReading = 'next-frame';

  /** The reading in use. */
  get reading(): PrftReading {
    return this.current;
  }

  /**
   * One video fragment of the stream, in the order ffmpeg wrote them: its first frame's media
   * time and its prft time (both ms). Returns that frame's camera time, or null when it is not
   * known yet (the first fragment, read the next-frame way, has no earlier box to take it from).
   */
  note(mediaMs: number, prftMs: number): number | null {
    const prev = this.prev;
    this.prev = { mediaMs, prftMs };
    this.same.push(prftMs - mediaMs);
    if (this.same.length > WINDOW) this.same.shift();
    if (prev) {
      this.next.push(prev.prftMs - mediaMs);
      if (this.next.length > WINDOW) this.next.shift();
    }
    if (this.next.length >= WINDOW / 2) {
      const s = spread(this.same);
      const n = spread(this.next);
      if (this.current === 'next-frame' && s + CLEARLY_MS < n) this.current = 'same-frame';
      else if (this.current === 'same-frame' && n + CLEARLY_MS < s) this.current = 'next-frame';
    }
    if (this.current === 'same-frame') return prftMs;
    return prev ? prev.prftMs : null;
  }
}

/**
 * Whether a stream's prft times are the camera's yet. ffmpeg stamps a fragment with its own clock
 * while no RTCP sender report has come; such a stamp is the moment the fragment was written,
 * i.e. close to its arrival here (how close depends on how busy the machine is). A camera stamp
 * is the frame's capture time: at least a frame interval and the camera's latency before that,
 * or far off when the camera's clock is. So the camera's clock is taken as seen when the last
 * STEADY_FRAGMENTS stamps follow the media time exactly (STEADY_MS, read either way: the sender
 * reports map RTP time to NTP time linearly; ffmpeg's own stamps of a B-frame stream go back and
 * forth with its bursts, though of a stream without B-frames they can be as steady) and (1) every
 * stamp for FAR_PERSIST_MS has been far from its arrival (FAR_STAMP_MS: frames a stalled event
 * loop here reads late all arrive at once, so a stall is not a far clock), or (2) the
 * stamp-to-media-time mapping and the stamp-to-arrival distance both jumped (SR_JUMP_MS) between
 * STEADY_FRAGMENTS and JUMP_RECENT fragments ago, and the steady ones all came after it: the
 * first sender report arrived, or (3) after SETTLE_FRAGMENTS without a jump, the median distance
 * from arrival is more than a third of a frame interval (the report came before the first
 * fragment). Until then frames carry no camera time rather than a guessed one.
 */
const FAR_STAMP_MS = 250;
const FAR_PERSIST_MS = 1000;
const SR_JUMP_MS = 25;
const JUMP_RECENT = 12;
const SETTLE_FRAGMENTS = 40;
const OWN_STAMP_MS = 4;
const STEADY_MS = 3;
const STEADY_FRAGMENTS = 4;

const steady = (xs: readonly number[]): boolean =>
  xs.length >= STEADY_FRAGMENTS && Math.max(...xs.slice(-STEADY_FRAGMENTS)) - Math.min(...xs.slice(-STEADY_FRAGMENTS)) <= STEADY_MS;

export class CameraStampProbe {
  private ahead: number | null = null;
  private mediaMs: number | null = null;
  private prftMs: number | null = null;
  private intervalMs = 100;
  private sinceJump = Number.POSITIVE_INFINITY;
  private farSince: number | null = null;
  private jumpPending = false;
  private readonly distances: number[] = [];
  private readonly same: number[] = [];
  private readonly next: number[] = [];
  private seenAt = false;
  private offset: number | null = null;

  get seen(): boolean {
    return this.seenAt;
  }

  /** Once seen: camera time less media time, from the steady reading (the next-frame one where both are). */
  get offsetMs(): number | null {
    return this.offset;
  }

  /** One video fragment: its media time, its prft time and when it arrived here (ms). True once the camera's clock is seen. */
  observe(mediaMs: number, prftMs: number, arrivedAt: number): boolean {
    if (this.seenAt) return true;
    if (this.mediaMs !== null && mediaMs > this.mediaMs) this.intervalMs = mediaMs - this.mediaMs;
    this.mediaMs = mediaMs;
    const mapping = prftMs - mediaMs;
    this.same.push(mapping);
    if (this.prftMs !== null) this.next.push(this.prftMs - mediaMs);
    this.prftMs = prftMs;
    for (const xs of [this.same, this.next]) if (xs.length > STEADY_FRAGMENTS) xs.shift();
    // A sender report moves the stamps against their media time *and* against their arrival.
    // Frames ffmpeg held while probing come in a burst: own stamps then move against media
    // time (written faster than real time) but stay with their arrival.
    const ahead = prftMs - arrivedAt;
    // Read both ways: the first reported stamp moves the same-frame reading at once and the
    // next-frame one a fragment later. Read the wrong way, the camera's stamps of a B-frame
    // stream move from fragment to fragment, but never both readings.
    const moved = (xs: readonly number[]) => xs.length >= 2 && Math.abs((xs.at(-1) ?? 0) - (xs.at(-2) ?? 0)) > SR_JUMP_MS;
    const confirmed = this.jumpPending && moved(this.next);
    this.jumpPending = this.ahead !== null && moved(this.same) && Math.abs(ahead - this.ahead) > SR_JUMP_MS;
    this.sinceJump = confirmed ? 0 : this.sinceJump + 1;
    this.ahead = ahead;
    // The last SETTLE_FRAGMENTS distances only: a camera that never sends a report is probed
    // for as long as it streams, so neither the list nor the sort may grow with it.
    this.distances.push(Math.abs(ahead));
    if (this.distances.length > SETTLE_FRAGMENTS) this.distances.shift();
    if (Math.abs(ahead) <= FAR_STAMP_MS) this.farSince = null;
    else this.farSince ??= arrivedAt;
    const far = this.farSince !== null && arrivedAt - this.farSince >= FAR_PERSIST_MS;
    // The next-frame reading of a fragment uses the one before, so it is steady after the jump one later.
    const afterJump = this.sinceJump > STEADY_FRAGMENTS && this.sinceJump < JUMP_RECENT;
    const settled = this.distances.length === SETTLE_FRAGMENTS && median(this.distances) > Math.max(OWN_STAMP_MS, this.intervalMs / 3);
    const reading = steady(this.next) ? this.next : steady(this.same) ? this.same : null;
    this.seenAt = reading !== null && (far || afterJump || settled);
    if (this.seenAt && reading) this.offset = reading[reading.length - 1] ?? null;
    return this.seenAt;
  }
}

/**
 * One stream's camera times: the probe until the camera's clock is seen, then each frame's own
 * time. The moment it is seen, `firstOffsetMs` gives camera time less media time, for the frames
 * that came before: the sender reports map every RTP time of the session, not only later ones.
 */
export class StreamStamps {
  private readonly probe = new CameraStampProbe();
  private readonly pairing = new PrftPairing();

  note(mediaMs: number, prftMs: number, arrivedAt: number): { cameraTs: number | null; firstOffsetMs: number | null } {
    if (this.probe.seen) return { cameraTs: this.pairing.note(mediaMs, prftMs), firstOffsetMs: null };
    if (!this.probe.observe(mediaMs, prftMs, arrivedAt)) return { cameraTs: null, firstOffsetMs: null };
    const offset = this.probe.offsetMs ?? prftMs - mediaMs;
    return { cameraTs: this.pairing.note(mediaMs, prftMs) ?? mediaMs + offset, firstOffsetMs: offset };
  }
}
