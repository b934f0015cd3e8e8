import { describe, expect, it } from 'vitest';
import { readGroups } from './object-rerank.js';
import type { TileHit } from './tile-search.js';

const hit = (x: number, y: number, size: number) => ({ tile_id: `${x},${y},${size}`, window: { x, y, width: size, height: size } }) as TileHit;

describe('object rerank read groups', () => {
  it('reads overlapping tiles once, far ones apart, never past the image', () => {
    const level0 = hit(200, 200, 128), level1 = hit(160, 160, 384), neighbour = hit(296, 200, 128), far = hit(3000, 3000, 128);
    const groups = readGroups([level0, far, level1, neighbour], 192, 4096, 4096);
    expect(groups.map((g) => g.hits.map((h) => h.tile_id).sort())).toEqual([[level0, level1, neighbour].map((h) => h.tile_id).sort(), [far.tile_id]]);
    // The group's read holds each tile with its context: the level-1 tile plus 192 px, cut at the image's edge.
    expect(groups[0]!.area).toEqual({ x: 0, y: 0, width: 160 + 384 + 192, height: 160 + 384 + 192 });
    expect(groups[1]!.area).toEqual({ x: 2808, y: 2808, width: 512, height: 512 });
  });

  it('keeps two tiles apart when reading them together would read more pixels', () => {
    const a = hit(0, 0, 128), b = hit(700, 700, 128);
    expect(readGroups([a, b], 192, 4096, 4096)).toHaveLength(2);
  });
});
