import { describe, expect, it } from 'vitest';
import type { Fmp4Fragment } from '../../../hub/media/fmp4.js';
import { LEARN_FRAGMENTS, ProbeMemory } from '../../../hub/recorder/probe-memory.js';

const FRAME = 9000;
const frag = (pts: number): Fmp4Fragment => ({
  data: Buffer.alloc(0),
  kind: 'video',
  keyframe: false,
  pts,
  duration: FRAME,
  prftMs: null,
  prftMediaTime: null,
});

/** Presentation times in decode order: frames in display order. */
const inOrder = (i: number) => i * FRAME;
/** Decode order I0 P3 B1 B2 P6 B4 B5 ...: every third frame is shown before the one decoded ahead of it. */
const withBFrames = (i: number) => {
  if (i === 0) return 0;
  const g = Math.floor((i - 1) / 3);
  return [3 * g + 3, 3 * g + 1, 3 * g + 2][(i - 1) % 3]! * FRAME;
};

function learn(m: ProbeMemory, stream: string, pts: (i: number) => number, codec = 'avc1'): void {
  for (let i = 0; i < LEARN_FRAGMENTS; i++) expect(m.observe(stream, frag(pts(i)), codec)).toBe('ok');
}

describe('probe memory (fast start)', () => {
  it('probes in full until a connection has shown enough frames in display order', () => {
    const m = new ProbeMemory();
    expect(m.begin(['main'])).toBe(false);
    for (let i = 0; i < LEARN_FRAGMENTS - 1; i++) m.observe('main', frag(inOrder(i)), 'avc1');
    expect(m.begin(['main'])).toBe(false);
    learn(m, 'main', inOrder);
    expect(m.begin(['main'])).toBe(true);
  });

  it('never probes a B-frame stream fast, nor a codec ffmpeg cannot set up from the SDP', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', withBFrames);
    expect(m.begin(['main'])).toBe(false);
    const mpeg4 = new ProbeMemory();
    mpeg4.begin(['main']);
    learn(mpeg4, 'main', inOrder, 'mp4v');
    expect(mpeg4.begin(['main'])).toBe(false);
  });

  it('a repaired stamp out of place is not B-frames', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', (i) => (i === 9 ? 7.5 * FRAME : inOrder(i)));
    expect(m.begin(['main'])).toBe(true);
  });

  it('needs every stream of the connection known (main and sub)', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', inOrder);
    expect(m.begin(['main', 'sub'])).toBe(false);
    learn(m, 'sub', inOrder);
    learn(m, 'main', inOrder);
    expect(m.begin(['main', 'sub'])).toBe(true);
  });

  it('a fast connection that sees frames out of order asks for a restart and forgets', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', inOrder);
    expect(m.begin(['main'])).toBe(true);
    // The second frame shown out of order (the sixth decoded) ends the fast connection.
    const verdicts = [0, 1, 2, 3, 4, 5].map((i) => m.observe('main', frag(withBFrames(i)), 'avc1'));
    expect(verdicts).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'restart']);
    expect(m.fastThisRun).toBe(false);
    expect(m.begin(['main'])).toBe(false);
  });

  it('a fast connection that yields no frame forgets; a full one has nothing to forget', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    expect(m.failedBeforeFrames()).toBe(false);
    learn(m, 'main', inOrder);
    m.begin(['main']);
    expect(m.failedBeforeFrames()).toBe(true);
    expect(m.begin(['main'])).toBe(false);
  });

  it('starts from what an earlier run kept, and says each time what it learned or forgot', () => {
    const kept: Array<Record<string, boolean>> = [];
    const m = new ProbeMemory({ main: true }, (l) => kept.push(l));
    expect(m.begin(['main'])).toBe(true);
    for (let i = 0; i < 5; i++) m.observe('main', frag(withBFrames(i)), 'avc1');
    expect(m.observe('main', frag(withBFrames(5)), 'avc1')).toBe('restart');
    expect(kept).toEqual([{}]);
    m.begin(['main']);
    learn(m, 'main', inOrder);
    expect(kept).toEqual([{}, { main: true }]);
    // Learning the same again writes nothing new.
    m.begin(['main', 'sub']);
    learn(m, 'main', inOrder);
    expect(kept).toHaveLength(2);
    // Junk in the kept file counts for nothing.
    expect(new ProbeMemory({ main: 'yes' as unknown as boolean }).begin(['main'])).toBe(false);
  });
});
