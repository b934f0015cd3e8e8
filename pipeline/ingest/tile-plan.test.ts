import { describe, expect, it } from 'vitest';
import { planTiles, tileIdOf, tilesOf } from './tile-plan.js';

describe('tile plan', () => {
  it('covers the image edge to edge with overlapping, full-size tiles at two scales', () => {
    const plan = planTiles(1000, 700, { modelInput: 128, gsdM: 0.5 });
    expect(plan.levels.map((l) => [l.size, l.stride, l.metres])).toEqual([[128, 96, 64], [384, 288, 192]]);
    const tiles = [...tilesOf(plan, 1000, 700)];
    expect(tiles).toHaveLength(plan.count);
    for (const t of tiles) {
      expect(t.x).toBeGreaterThanOrEqual(0);
      expect(t.x + t.size).toBeLessThanOrEqual(1000);
      expect(t.y + t.size).toBeLessThanOrEqual(700);
    }
    // Every pixel of the image is inside some level-0 tile.
    const covered = new Uint8Array(1000 * 700);
    for (const t of tiles.filter((t) => t.level === 0)) for (let y = t.y; y < t.y + t.size; y++) covered.fill(1, y * 1000 + t.x, y * 1000 + t.x + t.size);
    expect(covered.every((v) => v === 1)).toBe(true);
    expect(new Set(tiles.map((t) => tileIdOf('img_a', 'm@1', t))).size).toBe(tiles.length);
  });

  it('keeps the ground size of a tile constant across GSDs and never upsamples coarse scenes', () => {
    expect(planTiles(5000, 5000, { modelInput: 128, gsdM: 0.25 }).levels[0]!.size).toBe(256); // 64 m
    expect(planTiles(5000, 5000, { modelInput: 128, gsdM: 2 }).levels[0]!.size).toBe(128); // 256 m, no upsampling
    expect(planTiles(5000, 5000, { modelInput: 128, gsdM: null }).levels[0]!.size).toBe(128);
  });

  it('small images get one tile per level that fits', () => {
    const plan = planTiles(100, 90, { modelInput: 128, gsdM: 0.5 });
    expect(plan.levels).toHaveLength(1);
    expect(plan.levels[0]).toMatchObject({ size: 90, cols: 2, rows: 1 });
    expect(() => planTiles(100, 100, { modelInput: 128, gsdM: 0.5, overlap: 0.95 })).toThrow(/overlap/);
  });
});
