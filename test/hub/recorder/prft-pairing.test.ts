import { describe, expect, it } from 'vitest';
import { CameraStampProbe, PrftPairing, StreamStamps } from '../../../hub/recorder/prft-pairing.js';

/** Display times (ms) of a 10 fps stream with a B-frame pyramid, in decode order: I P B B B ... */
function decodeOrder(groups: number): number[] {
  const out = [0];
  for (let g = 0; g < groups; g++) {
    const base = g * 400;
    out.push(base + 400, base + 200, base + 100, base + 300);
  }
  return out;
}
/** The camera's clock: 7.3 s ahead, so camera time = media time + this. */
const CAMERA = 1_700_000_007_300;

describe('which frame a prft box belongs to', () => {
  it("ffmpeg's boxes carry the next frame's time: each frame gets its own back, B-frames and all", () => {
    const media = decodeOrder(12);
    const pairing = new PrftPairing();
    const got = media.map((m, i) => pairing.note(m, CAMERA + (media[i + 1] ?? m + 100)));
    expect(got[0]).toBeNull();
    for (let i = 1; i < media.length; i++) expect(got[i]).toBe(CAMERA + (media[i] as number));
    expect(pairing.reading).toBe('next-frame');
  });

  it('boxes that carry their own frame’s time are recognised once it is clear, and read that way', () => {
    const media = decodeOrder(12);
    const pairing = new PrftPairing();
    const got = media.map((m) => pairing.note(m, CAMERA + m));
    expect(pairing.reading).toBe('same-frame');
    // From the point the readings are told apart (half the window) every frame is right.
    for (let i = 13; i < media.length; i++) expect(got[i]).toBe(CAMERA + (media[i] as number));
  });

  it('without reordering both readings are steady, and the next-frame one (this ffmpeg) stands', () => {
    const pairing = new PrftPairing();
    const got = Array.from({ length: 60 }, (_, i) => pairing.note(i * 100, CAMERA + (i + 1) * 100));
    expect(pairing.reading).toBe('next-frame');
    expect(got.slice(1)).toEqual(Array.from({ length: 59 }, (_, i) => CAMERA + (i + 1) * 100));
  });
});

describe("telling the camera's stamps from ffmpeg's own", () => {
  /** A B-frame stream as it arrives: groups of four frames every 400 ms after the keyframe. */
  function arrivals(groups: number, start: number): Array<{ media: number; at: number }> {
    const media = decodeOrder(groups);
    return media.map((m, i) => ({ media: m, at: start + (i === 0 ? 0 : Math.ceil(i / 4) * 400) + (i % 4) }));
  }

  it("ffmpeg's own stamps of a B-frame stream are never taken for the camera's, even across an event-loop stall", () => {
    const probe = new CameraStampProbe();
    const seen = arrivals(40, 1_000_000).map(({ media, at }, i) => {
      // Own stamps: when ffmpeg wrote the fragment. Fragments 60-64 reach the hub 400 ms late.
      const stall = i >= 60 && i < 65 ? 400 - (i - 60) * 80 : 0;
      return probe.observe(media, at, at + stall);
    });
    expect(seen.some(Boolean)).toBe(false);
  });

  it("the camera's stamps are seen a few fragments after its first sender report", () => {
    const probe = new CameraStampProbe();
    const stream = arrivals(30, 1_000_000);
    const results = stream.map(({ media, at }, i) => {
      // Sender report from fragment 50 on: the next frame's camera time, 7.3 s ahead.
      const stamp = i < 50 ? at : CAMERA + (stream[i + 1]?.media ?? media + 100) - 300;
      return probe.observe(media, stamp, at);
    });
    expect(results.slice(0, 50).some(Boolean)).toBe(false);
    expect(results.indexOf(true)).toBeGreaterThanOrEqual(50);
    expect(results.indexOf(true)).toBeLessThan(50 + 8);
  });

  it("on a stream without B-frames, whose own stamps are as steady as the camera's, the first report is seen and its mapping used", () => {
    const stamps = new StreamStamps();
    let seenAt = -1;
    let offset: number | null = null;
    const times = Array.from({ length: 40 }, (_, i) => {
      const at = 1_000_000 + i * 100 + 100;
      // ffmpeg's own stamp is when it wrote the fragment (as it arrives); from fragment 20 the
      // camera's: the next frame's time on a clock in step with the hub's, sent 120 ms after it.
      const stamp = i < 20 ? at - 1 : 1_000_000 + (i + 1) * 100 - 120;
      const r = stamps.note(i * 100, stamp, at);
      if (r.firstOffsetMs !== null) {
        seenAt = i;
        offset = r.firstOffsetMs;
      }
      return r.cameraTs;
    });
    expect(seenAt).toBeGreaterThan(20);
    expect(seenAt).toBeLessThan(20 + 12);
    expect(offset).toBe(1_000_000 - 120);
    for (let i = seenAt; i < 40; i++) expect(times[i]).toBe(1_000_000 + i * 100 - 120);
  });

  it('one stall of the hub on a stream without B-frames is not a camera clock far off', () => {
    const probe = new CameraStampProbe();
    const seen = Array.from({ length: 30 }, (_, i) => {
      const at = 1_000_000 + i * 100;
      const late = i >= 10 && i < 13 ? 300 - (i - 10) * 100 : 0;
      return probe.observe(i * 100, at, at + late);
    });
    expect(seen.some(Boolean)).toBe(false);
  });

  it('a camera whose report came before the first fragment is seen once the stamps have settled away from arrival', () => {
    const probe = new CameraStampProbe();
    const seen = Array.from({ length: 50 }, (_, i) => probe.observe(i * 100, 1_000_000 + (i + 1) * 100 - 120, 1_000_000 + i * 100 + 100));
    expect(seen.indexOf(true)).toBe(39);
  });
});

describe("a stream's camera times", () => {
  it('the moment the clock is seen, frames before it get the same mapping, and every later frame its own', () => {
    const stamps = new StreamStamps();
    const media = decodeOrder(20);
    const at = (i: number) => 1_000_000 + Math.ceil(i / 4) * 400 + (i % 4);
    let firstOffset: number | null = null;
    const times = media.map((m, i) => {
      const stamp = i < 30 ? at(i) : CAMERA + (media[i + 1] ?? m + 100);
      const r = stamps.note(m, stamp, at(i));
      if (r.firstOffsetMs !== null) firstOffset = r.firstOffsetMs;
      return r.cameraTs;
    });
    expect(times.slice(0, 30).every((t) => t === null)).toBe(true);
    expect(firstOffset).toBe(CAMERA);
    const first = times.findIndex((t) => t !== null);
    for (let i = first; i < media.length; i++) expect(times[i]).toBe(CAMERA + (media[i] as number));
  });
});
