import { describe, expect, it } from 'vitest';
import { overlapping, realSplit, type RealClass, type RealImage } from './real-data.js';

const frame = (flight: string, n: number): RealImage => ({ file: `${flight}MOS${n}.png`, name: `${flight}MOS${n}`, gsdM: 0.13, boxes: [], ignore: [], frame: { flight, n } });

describe('the real benchmark split', () => {
  // Two flights of consecutive (overlapping) frames, as KIT AIS is laid out.
  const images = [...Array.from({ length: 20 }, (_, i) => frame('A-', i + 1)), ...Array.from({ length: 10 }, (_, i) => frame('B-', i + 1))];
  const cls: RealClass = { name: 'car', attribution: 'test', images };

  it('never trains on an evaluation image or a frame overlapping one, and never evaluates a frame overlapping an example', () => {
    const { examples, evaluation, training } = realSplit(cls, ['A-MOS3', 'B-MOS5'], 6);
    expect(examples.map((e) => e.name)).toEqual(['A-MOS3', 'B-MOS5']);
    expect(evaluation).toHaveLength(6);
    for (const e of evaluation) {
      expect(examples.some((x) => x === e || overlapping(x, e))).toBe(false);
      expect(training.some((t) => t === e || overlapping(t, e))).toBe(false);
    }
    // The examples stay available for training (they are not evaluated), and nothing is lost twice.
    expect(training.map((t) => t.name)).toEqual(expect.arrayContaining(['A-MOS3', 'B-MOS5']));
    expect(training.length + evaluation.length).toBeLessThan(images.length);
  });

  it('falls back to the first image as the example when none is named', () => {
    const { examples, evaluation } = realSplit(cls, ['nope'], 3);
    expect(examples.map((e) => e.name)).toEqual(['A-MOS1']);
    expect(evaluation.some((e) => overlapping(e, images[0]!))).toBe(false);
  });
});
