import { describe, expect, it } from 'vitest';
import { gridNms } from './scan-head.js';

describe('window-head NMS', () => {
  it('keeps the best of overlapping boxes, and takes the 10⁵ boxes a low threshold gives on a dense scene', () => {
    const found = [];
    // 300 × 300 objects 10 px apart, each found twice (a shifted duplicate scoring lower): 180,000 boxes.
    for (let j = 0; j < 300; j++) {
      for (let i = 0; i < 300; i++) {
        found.push({ box: { x: i * 10, y: j * 10, width: 6, height: 6 }, score: 0.9 });
        found.push({ box: { x: i * 10 + 1, y: j * 10, width: 6, height: 6 }, score: 0.5 });
      }
    }
    const kept = gridNms(found, 0.4);
    expect(kept).toHaveLength(90_000);
    expect(kept.every((d) => d.score === 0.9)).toBe(true);
  });
});
