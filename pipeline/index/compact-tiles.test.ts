import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { addImages } from '../catalog/catalog.js';
import { ingestImage } from '../ingest/ingest-image.js';
import type { ClipEncoder } from '../models/encoder.js';
import { ModelRegistry } from '../models/registry.js';
import { searchTiles, type TileHit } from '../search/tile-search.js';
import { generateScene } from '../synth/generate-scene.js';
import { compactTiles } from './compact-tiles.js';
import { storeSizes } from './index-stats.js';
import { Store } from './store.js';
import { makeArrowTable } from '@lancedb/lancedb';
import { Field, FixedSizeList, Float16, Schema } from 'apache-arrow';
import { COMPACT_LAYOUT, FULL_LAYOUT, halfToFloat, newTableLayout, openTilesTable, roundToHalf } from './tiles-table.js';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'geoscout.js');
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let encoder: ClipEncoder;
const stores: Record<'compact' | 'full', Store> = {} as never;

beforeAll(async () => {
  tmp = await makeTempDir();
  const scene = await generateScene(path.join(tmp.dir, 'scenes'), 'sizes', { seed: 11, width: 1024, height: 1024 });
  encoder = await new ModelRegistry(path.join(tmp.dir, 'state')).openEncoder();
  for (const kind of ['compact', 'full'] as const) {
    const store = await Store.open(path.join(tmp.dir, kind, 'lancedb'));
    const image = (await addImages(store, [scene.tiffPath])).added[0]!;
    await ingestImage(store, encoder, image, { tableLayout: kind === 'full' ? FULL_LAYOUT : newTableLayout('float16') });
    stores[kind] = store;
  }
}, 120_000);
afterAll(async () => {
  await encoder.close();
  for (const s of Object.values(stores)) await s.close();
  await tmp.cleanup();
});

const search = async (store: Store, text: string) => searchTiles(store, encoder, await encoder.encodeTexts([text]), {}, 5);
const brief = (hits: TileHit[]) => hits.map((h) => ({ tile: h.tile_id, box: h.best_box && [h.best_box.x, h.best_box.y, h.best_box.width, h.best_box.height, h.best_box.lon, h.best_box.lat], footprint: h.footprint, center: h.center }));

describe('compact tiles table', () => {
  it('stores a tile in a few hundred bytes (float16 vector, no patch grid) against ~33 KB in the full layout', async () => {
    const [compact, full] = await Promise.all([storeSizes(stores.compact), storeSizes(stores.full)]);
    const tiles = (s: typeof compact) => s.find((t) => t.table.startsWith('tiles__'))!;
    const c = tiles(compact), f = tiles(full);
    expect(c.rows).toBe(f.rows);
    expect(c.tiles!.layout).toEqual({ vector: 'float16', patchGrid: false, geometry: false, bbox: 'float32' });
    expect(c.columns.some((x) => x.name === 'footprint')).toBe(false);
    expect(f.tiles!.layout).toEqual(FULL_LAYOUT);
    expect(c.columns.find((x) => x.name === 'vector')!.bytesPerRow).toBe(encoder.dim * 2);
    expect(c.columns.some((x) => x.name === 'patch_vectors')).toBe(false);
    expect(c.dataBytes / c.rows).toBeLessThan(1024);
    expect(f.dataBytes / f.rows).toBeGreaterThan(30_000);
    expect(c.tiles!.imageryBytes).toBeGreaterThan(0);
  });

  it('finds the same tiles and boxes as the full layout: the patch grids are recomputed from pixels, footprints and centres derived from the catalog', async () => {
    for (const q of ['a ship', 'an airport with aircraft']) {
      const [c, f] = [await search(stores.compact, q), await search(stores.full, q)];
      expect(brief(c)).toEqual(brief(f));
      c.forEach((h, i) => expect(Math.abs(h.patch_score! - f[i]!.patch_score!)).toBeLessThan(0.01));
    }
  });

  it('`index compact` drops a full table\'s patch grids in place, reclaims the bytes, and search still gives the same hits; a second run changes nothing', async () => {
    const before = brief(await search(stores.full, 'a ship'));
    const [res] = await compactTiles(stores.full);
    expect(res!).toMatchObject({ droppedPatchGrids: true, droppedGeometry: true });
    expect(res!.bytesAfter!).toBeLessThan(res!.bytesBefore! / 10);
    // A fresh connection, as the next process would open the store.
    const reopened = await Store.open(stores.full.uri);
    try {
      const { layout } = await openTilesTable(reopened, encoder.manifest);
      expect(layout).toEqual({ vector: 'float32', patchGrid: false, geometry: false, bbox: 'float64' }); // compaction keeps an old table's float64 bbox
      expect(brief(await search(reopened, 'a ship'))).toEqual(before);
      const [again] = await compactTiles(reopened);
      expect(again!).toMatchObject({ droppedPatchGrids: false, droppedGeometry: false });
    } finally {
      await reopened.close();
    }
  });

  it('`geoscout index stats` prints bytes per tile and the ratio to the source imagery', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'index', 'stats'], { env: { ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'compact'), GEOSCOUT_CONFIG: '' } });
    expect(stdout).toMatch(/tiles__geoscout_mini: \d+ rows/);
    expect(stdout).toMatch(/float16 vectors, patch grids recomputed on search, footprints derived from the catalog, float32 bbox; 1 image\(s\), [\d.]+ MB of source imagery: index = [\d.]+ % of it/);
  });
});

describe('float16 vectors', () => {
  it('decodes IEEE half bits', () => {
    expect([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0x0000].map(halfToFloat)).toEqual([1, -2, 0.333251953125, 2 ** -24, Infinity, 0]);
  });

  it('stores what roundToHalf gives exactly, where Arrow\'s own conversion of the raw value goes wrong', () => {
    // Every finite half value, and values just below powers of two (rounding carries into the exponent).
    const exact = Array.from({ length: 0x7c00 }, (_, h) => halfToFloat(h));
    const carry = [0.99999, 0.4999999, 0.12499999, 1.9999, 0.0624999];
    const values = [...exact, ...exact.map((v) => -v), ...carry];
    const schema = new Schema([new Field('v', new FixedSizeList(values.length, new Field('item', new Float16(), true)), false)]);
    const stored = (arr: Float32Array) => Array.from(makeArrowTable([{ v: arr }], { schema }).getChild('v')!.get(0) as Iterable<number>);
    const rounded = roundToHalf(Float32Array.from(values));
    expect(stored(rounded)).toEqual(Array.from(rounded));
    // Rounding moves no value by more than half a float16 step.
    values.forEach((v, i) => expect(Math.abs(rounded[i]! - v)).toBeLessThanOrEqual(Math.max(2 ** -25, Math.abs(v) * 2 ** -11) + 1e-12));
    // Without it, Arrow 18 doubles 0.99999 (stores 2): if this starts failing, its conversion was fixed.
    expect(stored(Float32Array.from(carry)).some((v, i) => Math.abs(v - carry[i]!) > 0.01)).toBe(true);
  });

  it('new tables hold float32 vectors unless index.vectorType says float16', () => {
    expect(COMPACT_LAYOUT).toEqual({ vector: 'float32', patchGrid: false, geometry: false, bbox: 'float32' });
    expect(newTableLayout('float16')).toEqual({ vector: 'float16', patchGrid: false, geometry: false, bbox: 'float32' });
  });
});
