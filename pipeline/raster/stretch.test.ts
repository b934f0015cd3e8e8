import { describe, expect, it } from 'vitest';
import { toRgb8, type Stretch } from './stretch.js';

/** Deterministic samples in [0, max]. */
function samples(n: number, max: number): number[] {
  let s = 7;
  return Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) % 2 ** 31) % (max + 1));
}

describe('toRgb8', () => {
  it('gives 8- and 16-bit samples (table per band) the levels float samples get pixel by pixel', () => {
    // More pixels than a 16-bit table has entries: smaller reads skip the tables.
    const px = 70_000;
    const cases: [Uint8Array | Uint16Array, number, Stretch, number | null][] = [
      [Uint16Array.from(samples(px * 4, 4095)), 4, { bands: [2, 1, 0], lo: [100, 120, 90], hi: [1800, 1700, 3000] }, null],
      [Uint16Array.from(samples(px * 3, 3)), 3, { bands: [0, 1, 2], lo: [0, 0, 0], hi: [2, 2, 2] }, 0],
      [Uint8Array.from(samples(px * 3, 255)), 3, { bands: [0, 1, 2], lo: [10, 0, 0], hi: [200, 255, 255] }, 3],
      [Uint8Array.from(samples(px * 3, 255)), 3, { bands: [2, 1, 0], lo: [0, 0, 0], hi: [255, 255, 255] }, null],
    ];
    for (const [data, bands, stretch, nodata] of cases) {
      expect(toRgb8(data, px, bands, stretch, nodata)).toEqual(toRgb8(Float32Array.from(data), px, bands, stretch, nodata));
    }
  });

  it('passes 8-bit RGB at the identity stretch through, nodata 0 staying black', () => {
    const data = Uint8Array.from([0, 0, 0, 1, 2, 3, 255, 0, 128]);
    const identity: Stretch = { bands: [0, 1, 2], lo: [0, 0, 0], hi: [255, 255, 255] };
    expect([...toRgb8(data, 3, 3, identity, 0)]).toEqual([...data]);
    expect([...toRgb8(data, 3, 3, identity, 0)]).toEqual([...toRgb8(Float32Array.from(data), 3, 3, identity, 0)]);
  });
});
