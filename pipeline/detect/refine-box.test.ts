import { describe, expect, it } from 'vitest';
import { iou } from '../../evals/metrics/boxes.js';
import { refineBox } from './refine-box.js';

function image(w: number, h: number, fill: [number, number, number], rects: { x: number; y: number; w: number; h: number; c: [number, number, number] }[]) {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(fill, i * 3);
  for (const r of rects) for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) data.set(r.c, (y * w + x) * 3);
  // A little texture so the background is not perfectly flat.
  for (let i = 0; i < data.length; i += 7) data[i] = Math.min(255, data[i]! + (i % 5));
  return { data, width: w, height: h };
}

describe('refineBox', () => {
  it('shrinks a patch box to a car-sized object inside it', () => {
    const rgb = image(48, 48, [90, 90, 95], [{ x: 20, y: 22, w: 9, h: 4, c: [200, 30, 30] }]);
    const area = { x: 1000, y: 2000, width: 48, height: 48 };
    const core = { x: 1016, y: 2016, width: 16, height: 16 };
    const box = refineBox(rgb, area, core, 1);
    expect(iou([box.x, box.y, box.width, box.height], [1020, 2022, 9, 4])).toBeGreaterThan(0.8);
  });

  it('grows to an object larger than the cell, at a reduced read scale', () => {
    const rgb = image(64, 64, [20, 60, 90], [{ x: 10, y: 25, w: 44, h: 12, c: [180, 180, 175] }]);
    const area = { x: 0, y: 0, width: 128, height: 128 };
    const box = refineBox(rgb, area, { x: 48, y: 48, width: 32, height: 32 }, 2);
    expect(iou([box.x, box.y, box.width, box.height], [20, 50, 88, 24])).toBeGreaterThan(0.8);
  });

  it('keeps the patch box when nothing stands out', () => {
    const rgb = image(32, 32, [100, 120, 80], []);
    const core = { x: 8, y: 8, width: 16, height: 16 };
    expect(refineBox(rgb, { x: 0, y: 0, width: 32, height: 32 }, core, 1)).toEqual(core);
  });
});
