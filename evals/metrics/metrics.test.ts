import { describe, expect, it } from 'vitest';
import { iou } from './boxes.js';
import { averagePrecision, ndcgAtK, precisionAtK, recallAtK, successAtK } from './retrieval.js';

describe('retrieval metrics', () => {
  const ranked = [true, false, true, false, false];
  it('P@k, R@k, success@k', () => {
    expect(precisionAtK(ranked, 2)).toBe(0.5);
    expect(precisionAtK(ranked, 5)).toBeCloseTo(0.4);
    expect(recallAtK(ranked, 3, 4)).toBe(0.5);
    expect(successAtK([false, false, true], 2)).toBe(0);
    expect(successAtK([false, false, true], 3)).toBe(1);
  });
  it('AP counts misses beyond the list', () => {
    expect(averagePrecision(ranked)).toBeCloseTo((1 + 2 / 3) / 2);
    expect(averagePrecision(ranked, 4)).toBeCloseTo((1 + 2 / 3) / 4);
    expect(averagePrecision([false, false])).toBe(0);
  });
  it('nDCG is 1 for the ideal order and lower otherwise', () => {
    expect(ndcgAtK([1, 1, 0], 3)).toBe(1);
    expect(ndcgAtK([0, 1, 1], 3)).toBeLessThan(1);
    expect(ndcgAtK([0, 0], 2)).toBe(0);
  });
});

describe('box metrics', () => {
  it('IoU', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150);
    expect(iou([0, 0, 10, 10], [20, 20, 5, 5])).toBe(0);
  });
});
