import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { Store } from './store.js';
import { COMPACT_LAYOUT, f32Toward, FULL_LAYOUT, layoutOf, storedBbox, tilesSchema } from './tiles-table.js';
import { filterWhere } from './where.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => { tmp = await makeTempDir(); });
afterAll(async () => tmp?.cleanup());

describe('float32 bbox columns', () => {
  it('round each bound outward to a float32 within 2 m', () => {
    for (const x of [-122.30185123456789, 37.80000000001, 0.1, -0.1, 179.99999999, 1e-50, -1e-50]) {
      const [lo, hi] = [f32Toward(x, -1), f32Toward(x, 1)];
      expect(lo).toBeLessThanOrEqual(x);
      expect(hi).toBeGreaterThanOrEqual(x);
      expect(Math.fround(lo)).toBe(lo);
      expect(Math.fround(hi)).toBe(hi);
      expect(hi - lo).toBeLessThan(2e-5); // under 2 m, one float32 step at |lon| ≥ 128
    }
    expect(f32Toward(0.5, -1)).toBe(0.5); // exact values stay
  });

  it('are the layout of new tables; older tables read as float64', () => {
    expect(layoutOf(tilesSchema(128, 0, COMPACT_LAYOUT)).bbox).toBe('float32');
    expect(layoutOf(tilesSchema(128, 64, FULL_LAYOUT)).bbox).toBe('float64');
  });

  it('never lose a tile to an area filter whose edge touches it (real LanceDB, SQL with float64 literals)', async () => {
    const store = await Store.open(path.join(tmp.dir, 'bbox'));
    try {
      const t = await store.tableWithSchema('tiles', tilesSchema(2, 0, COMPACT_LAYOUT));
      // Tiles whose true edges are doubles no float32 represents; each query box touches one edge exactly.
      const truth: [number, number, number, number][] = [[-122.30185123456789, 37.80000000001, -122.30100000000007, 37.80090000000003], [10.00000001, -33.99999999, 10.00100001, -33.99899999]];
      const rows = truth.map((bb, i) => {
        const [minLon, minLat, maxLon, maxLat] = storedBbox(bb, COMPACT_LAYOUT);
        return { tile_id: `t${i}`, image_id: 'img', model_version: 'm@1', level: 0, x: 0, y: 0, size: 1, min_lon: minLon, min_lat: minLat, max_lon: maxLon, max_lat: maxLat, acquired_at: null, sensor: null, gsd_m: 0.5, vector: [1, 0] };
      });
      await t.add(rows);
      for (const [i, [w, s, e, n]] of truth.entries()) {
        for (const area of [[e, n, e + 1, n + 1], [w - 1, s - 1, w, s], [e, s, e + 0.5, n]] as [number, number, number, number][]) {
          const got = await t.query().where(filterWhere({ bbox: area })).select(['tile_id']).toArray();
          expect(got.map((r) => r.tile_id)).toContain(`t${i}`);
        }
      }
    } finally {
      await store.close();
    }
  });
});
