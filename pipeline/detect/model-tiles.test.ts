import { describe, expect, it } from 'vitest';
import { passParts, TILE_CORE, tileCores } from './model-tiles.js';

describe('model tiles', () => {
  it('cuts the whole area into squares, or only the squares a part meets, shrunk to the parts', () => {
    const area: [number, number, number, number] = [0, 0, 2 * TILE_CORE, TILE_CORE + 10];
    expect(tileCores(area, null)).toEqual([[0, 0, TILE_CORE, TILE_CORE], [TILE_CORE, 0, 2 * TILE_CORE, TILE_CORE], [0, TILE_CORE, TILE_CORE, TILE_CORE + 10], [TILE_CORE, TILE_CORE, 2 * TILE_CORE, TILE_CORE + 10]]);
    // Two parts in the first square, one straddling into the second: bounds per square, never beyond it.
    const parts = [{ x0: 10.5, y0: 20, x1: 50, y1: 60 }, { x0: 600, y0: 100, x1: 700, y1: 130 }];
    expect(tileCores(area, parts)).toEqual([[10, 20, TILE_CORE, 130], [TILE_CORE, 100, 700, 130]]);
    expect(tileCores(area, [])).toEqual([]);
  });

  it('gives each pass its parts: the enlarging pass the fine ones, small-box passes the level-0 ones', () => {
    const w = (x: number) => ({ x, y: 0, width: 10, height: 10 });
    const a = { all: [w(1)], small: [w(2)], smallSide: 128, fine: [w(3)] };
    expect(passParts(a, 0.5, 50)).toEqual([w(3)]);
    expect(passParts(a, 1, 100)).toEqual([w(2)]);
    expect(passParts(a, 4, 400)).toEqual([w(1)]);
    expect(passParts({ all: [w(1)] }, 0.5, 50)).toEqual([w(1)]);
  });
});
