import { describe, expect, it } from 'vitest';
import type { Fmp4Fragment } from '../../../hub/media/fmp4.js';
import { LEARN_FRAGMENTS, ProbeMemory } from '../../../hub/recorder/probe-memory.js';

const frag = (compositionOffset: number): Fmp4Fragment => ({
  data: Buffer.alloc(0),
  keyframe: false,
  pts: 0,
  duration: 3600,
  compositionOffset,
  prftMs: null,
  prftMediaTime: null,
});

function learn(m: ProbeMemory, stream: string, offsets: (i: number) => number, codec = 'avc1'): void {
  for (let i = 0; i < LEARN_FRAGMENTS; i++) expect(m.observe(stream, frag(offsets(i)), codec)).toBe('ok');
}

describe('probe memory (fast start)', () => {
  it('probes in full until a connection has shown enough frames in display order', () => {
    const m = new ProbeMemory();
    expect(m.begin(['main'])).toBe(false);
    for (let i = 0; i < LEARN_FRAGMENTS - 1; i++) m.observe('main', frag(0), 'avc1');
    expect(m.begin(['main'])).toBe(false);
    learn(m, 'main', () => 0);
    expect(m.begin(['main'])).toBe(true);
  });

  it('never probes a B-frame stream fast, nor a codec ffmpeg cannot set up from the SDP', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', (i) => (i % 3 === 0 ? 0 : 7200));
    expect(m.begin(['main'])).toBe(false);
    const mjpeg = new ProbeMemory();
    mjpeg.begin(['main']);
    learn(mjpeg, 'main', () => 0, 'mp4v');
    expect(mjpeg.begin(['main'])).toBe(false);
  });

  it('a repaired stamp or two does not count as B-frames', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', (i) => (i === 4 || i === 9 ? 100 : 0));
    expect(m.begin(['main'])).toBe(true);
  });

  it('needs every stream of the connection known (main and sub)', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', () => 0);
    expect(m.begin(['main', 'sub'])).toBe(false);
    learn(m, 'sub', () => 0);
    learn(m, 'main', () => 0);
    expect(m.begin(['main', 'sub'])).toBe(true);
  });

  it('a fast connection that sees reordered frames asks for a restart and forgets', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    learn(m, 'main', () => 0);
    expect(m.begin(['main'])).toBe(true);
    expect(m.observe('main', frag(0), 'avc1')).toBe('ok');
    expect(m.observe('main', frag(7200), 'avc1')).toBe('ok');
    expect(m.observe('main', frag(3600), 'avc1')).toBe('restart');
    expect(m.fastThisRun).toBe(false);
    expect(m.begin(['main'])).toBe(false);
  });

  it('a fast connection that yields no frame forgets; a full one has nothing to forget', () => {
    const m = new ProbeMemory();
    m.begin(['main']);
    expect(m.failedBeforeFrames()).toBe(false);
    learn(m, 'main', () => 0);
    m.begin(['main']);
    expect(m.failedBeforeFrames()).toBe(true);
    expect(m.begin(['main'])).toBe(false);
  });

  it('starts from what an earlier run kept, and says each time what it learned or forgot', () => {
    const kept: Array<Record<string, boolean>> = [];
    const m = new ProbeMemory({ main: true }, (l) => kept.push(l));
    expect(m.begin(['main'])).toBe(true);
    expect(m.observe('main', frag(7200), 'avc1')).toBe('ok');
    expect(m.observe('main', frag(3600), 'avc1')).toBe('restart');
    expect(kept).toEqual([{}]);
    m.begin(['main']);
    learn(m, 'main', () => 0);
    expect(kept).toEqual([{}, { main: true }]);
    // Learning the same again writes nothing new.
    m.begin(['main', 'sub']);
    learn(m, 'main', () => 0);
    expect(kept).toHaveLength(2);
    // Junk in the kept file counts for nothing.
    expect(new ProbeMemory({ main: 'yes' as unknown as boolean }).begin(['main'])).toBe(false);
  });
});
