import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { maintainIndexes } from './vector-index.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  tmp = await makeTempDir('geoscout-vector-index-');
});
afterAll(async () => tmp.cleanup());

/** Rows with the columns maintainIndexes indexes (values vary so btrees and bitmaps have work). */
function rows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    image_id: `img_${i % 7}`,
    tile_id: `t${i}`,
    acquired_at: Date.UTC(2024, 0, 1 + (i % 30)),
    min_lon: i * 0.001, max_lon: i * 0.001 + 0.0005, min_lat: i * 0.002, max_lat: i * 0.002 + 0.0005,
    model_version: i % 2 ? 'm@1.0.0' : 'm@1.1.0',
    sensor: i % 3 ? 'A' : 'B',
    vector: Array.from({ length: 16 }, (_, k) => Math.sin(i * 0.7 + k)),
  }));
}

describe('maintainIndexes', () => {
  it('two writers finishing together (the shards of a job array) both succeed and leave each index once', async () => {
    for (let round = 0; round < 3; round++) {
      const uri = `${tmp.dir}/db${round}`;
      await (await lancedb.connect(uri)).createTable('tiles', rows(300));
      // Separate connections, like two processes: each sees the table without the indexes
      // and builds them; Lance preempts one of two concurrent CreateIndex commits.
      const [a, b] = await Promise.all([lancedb.connect(uri), lancedb.connect(uri)].map(async (c) => (await c).openTable('tiles')));
      const results = await Promise.all([maintainIndexes(a!, 16, { threshold: 200 }), maintainIndexes(b!, 16, { threshold: 200 })]);
      const built = results.flatMap((r) => r.created);
      for (const col of ['image_id', 'tile_id', 'acquired_at', 'model_version', 'sensor', 'vector']) expect(built).toContain(col);
      await a!.checkoutLatest();
      const cols = (await a!.listIndices()).flatMap((i) => i.columns);
      expect(cols.filter((c) => c === 'vector')).toHaveLength(1);
      expect(cols.filter((c) => c === 'image_id')).toHaveLength(1);
    }
  });
});
