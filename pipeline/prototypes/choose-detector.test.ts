import { describe, expect, it } from 'vitest';
import { scanLevels } from '../fewshot/fit-head.js';
import { keepingThreshold, reciprocalRank } from './choose-detector.js';

const box = (x: number, y: number, w = 10, h = 10) => ({ x, y, width: w, height: h });

describe('detector choice', () => {
  it('ranks a held-out example among the boxes that are neither it nor another known example', () => {
    const target = box(100, 100);
    const known = [box(200, 200)];
    const dets = [
      { box: box(200, 201), score: 0.99 }, // another known example: not a false alarm
      { box: box(300, 300), score: 0.9 }, // a false alarm above the target
      { box: box(101, 100), score: 0.8 }, // the target
      { box: box(100, 101), score: 0.5 }, // a duplicate of the target below it
      { box: box(400, 400), score: 0.4 },
    ];
    expect(reciprocalRank(dets, target, known)).toBe(1 / 2);
    expect(reciprocalRank(dets, target, [])).toBe(1 / 3);
    expect(reciprocalRank(dets.filter((d) => d.score !== 0.8 && d.score !== 0.5), target, known)).toBe(0);
  });

  it('sets the default threshold where 80 % of the boxed held-out examples pass, within bounds', () => {
    const scores = [0.12, 0.05, 0.4, 0.33, 0.21, 0.08, 0.5, 0.27, 0.3, 0.19];
    const thr = keepingThreshold(scores)!;
    expect(thr).toBe(0.12);
    expect(scores.filter((s) => s >= thr)).toHaveLength(8);
    expect(keepingThreshold([0.6, 0.7, 0.8])).toBe(0.6);
    expect(keepingThreshold([0.001, 0.002])).toBe(0.02);
    expect(keepingThreshold([0.99, 0.995])).toBe(0.9);
    expect(keepingThreshold([])).toBeNull();
  });

  it('scans one level for examples of one size, levels at most 1.5× apart for a spread, and never more than four', () => {
    expect(scanLevels([4.5, 4.6, 4.4, 4.8, 4.5])).toHaveLength(1);
    const spread = scanLevels([2, 3, 4, 5, 6]);
    expect(spread).toHaveLength(3);
    for (let i = 1; i < spread.length; i++) expect(spread[i]! / spread[i - 1]!).toBeLessThanOrEqual(1.5);
    expect(scanLevels([1, 2, 4, 8, 16, 32, 64])).toHaveLength(4);
  });
});
