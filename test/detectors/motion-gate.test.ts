import { describe, expect, it } from 'vitest';
import { MotionGate, type MotionSettings } from '../../detectors/motion-gate.js';
import type { Frame } from '../../hub/api/plugin.js';
import { clipFrames, imageFrame, relit } from './fixture-media.js';

const settings: MotionSettings = {
  width: 160,
  pixelThreshold: 25,
  minBlobArea: 0.002,
  backgroundAlpha: 0.05,
  globalChange: 0.6,
  cooldownMs: 2000,
};

/** A gray scene with mild sensor noise and optional bright square. */
function scene(ts: number, square: { x: number; y: number; size: number } | null, seed: number): Frame {
  const w = 320;
  const h = 240;
  const data = new Uint8Array(w * h);
  let s = seed;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const noise = (s % 9) - 4;
      const inSquare = square && x >= square.x && x < square.x + square.size && y >= square.y && y < square.y + square.size;
      data[y * w + x] = inSquare ? 220 : 80 + ((x >> 4) % 4) * 10 + noise;
    }
  }
  return { cameraId: 'c', ts, width: w, height: h, format: 'gray', data };
}

describe('MotionGate', () => {
  it('opens on a moving object and closes after the cool-down', () => {
    const gate = new MotionGate(settings);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(gate.update(scene(i * 200, null, i + 1), i * 200));
    expect(results.every((r) => !r.motion)).toBe(true);
    const moving = [];
    for (let i = 0; i < 5; i++) moving.push(gate.update(scene(1000 + i * 200, { x: 40 + i * 20, y: 60, size: 40 }, i + 9), 1000 + i * 200));
    expect(moving[0]?.started).toBe(true);
    expect(moving.every((r) => r.motion && r.active)).toBe(true);
    expect(moving[0]?.area).toBeGreaterThan(0.01);
    // Nothing moves any more: the background absorbs the parked square, then the gate stays open
    // for the cool-down after the last frame with motion before it closes.
    const still = scene(2000, { x: 120, y: 60, size: 40 }, 3);
    let stoppedAt = -1;
    let lastMotion = -1;
    for (let i = 0; i < 100 && stoppedAt < 0; i++) {
      const ts = 2000 + i * 200;
      const r = gate.update(still, ts);
      if (r.motion) lastMotion = ts;
      if (r.stopped) stoppedAt = ts;
    }
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt - lastMotion).toBeGreaterThanOrEqual(2000);
  });

  it('ignores specks smaller than the minimum blob area', () => {
    const gate = new MotionGate(settings);
    gate.update(scene(0, null, 1), 0);
    const r = gate.update(scene(200, { x: 100, y: 100, size: 4 }, 2), 200);
    expect(r.motion).toBe(false);
  });

  it('treats a sudden brightness jump over the whole frame (lights, IR switch) as no motion', () => {
    const gate = new MotionGate(settings);
    const base = imageFrame('no-person-building.jpg', 'rgb24', 'c');
    for (let i = 0; i < 5; i++) expect(gate.update(base, i * 200).motion).toBe(false);
    // Lights on: brighter and more contrast at once.
    const bright = relit(base, 1.4, 40, 1000);
    const jump = gate.update(bright, 1000);
    expect(jump).toMatchObject({ motion: false, started: false, lightingChange: true });
    // The re-seeded background is the new lighting: later frames are calm too.
    for (let i = 1; i < 5; i++) expect(gate.update(bright, 1000 + i * 200).motion).toBe(false);
    // IR night mode: the colour image turns into dark grayscale.
    const ir = relit({ ...imageFrame('no-person-building.jpg', 'gray', 'c'), ts: 2000 }, 0.5, 10, 2000);
    expect(gate.update(ir, 2000)).toMatchObject({ motion: false, lightingChange: true });
    // A uniform shift that leaves most pixels under the threshold is compensated, not motion.
    const dimmer = relit({ ...ir, ts: 2200 }, 1, -15, 2200);
    expect(gate.update(dimmer, 2200).motion).toBe(false);
  });

  it('sees the people walking in the real clip and the brightened clip frame is not motion', async () => {
    const frames = await clipFrames('people-walking-768x576-10fps.mp4', {
      cameraId: 'c',
      fps: 5,
      width: 640,
      height: 480,
      seconds: 3,
      startTs: 0,
    });
    expect(frames.length).toBeGreaterThanOrEqual(14);
    const gate = new MotionGate(settings);
    const motion = frames.map((f) => gate.update(f, f.ts));
    expect(motion.filter((m) => m.motion).length).toBeGreaterThanOrEqual(frames.length - 2);
    const gate2 = new MotionGate(settings);
    gate2.update(frames[0]!, 0);
    expect(gate2.update(relit(frames[0]!, 1.5, 50, 200), 200)).toMatchObject({ motion: false, lightingChange: true });
  });

  it('tells wind in a tree from people walking: bodies on the people clip, none on the moving-tree clip', async () => {
    const opts = { cameraId: 'c', fps: 5, width: 640, height: 480, startTs: 0 };
    const tree = await clipFrames('no-person-moving-tree-640x480-10fps.mp4', { ...opts, seconds: 15 });
    const people = await clipFrames('people-walking-768x576-10fps.mp4', { ...opts, seconds: 6 });
    const treeGate = new MotionGate(settings);
    const t = tree.map((f) => treeGate.update(f, f.ts));
    expect(t.filter((r) => r.motion).length).toBeGreaterThan(0); // the branches do move
    expect(t.filter((r) => r.bodyActive).length).toBeLessThanOrEqual(Math.ceil(tree.length / 20));
    const peopleGate = new MotionGate(settings);
    const p = people.map((f) => peopleGate.update(f, f.ts));
    // From the fifth frame on (a body is a blob followed over four), the walkers keep it open.
    expect(p.slice(4).filter((r) => r.bodyActive).length).toBeGreaterThanOrEqual(p.length - 4 - 2);
    const withBody = p.find((r) => r.body)!;
    expect(withBody.bodies[0]!.y2).toBeGreaterThan(withBody.bodies[0]!.y1);
  });
});
