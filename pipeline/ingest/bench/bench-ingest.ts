/**
 * `npm run bench:ingest`: ingest throughput on a 20,000² generated scene (shared with
 * bench:raster's cache) with the active model: tiles/s, source MB/s, peak RSS, and the
 * share of time in window decode, encode and database writes; side by side with a plain
 * Python script (PIL + PyTorch, same weights, same tile plan) in the same run. Then the
 * index size: bytes per tile (data + scalar indexes, old versions removed) and the whole
 * scene's index against its GeoTIFF, beside the layout of sessions 12–14 (footprint and centre
 * stored per tile), float16 vectors and the layout tiles tables had before session 12.
 * Env: BENCH_SIZE (20000), BENCH_MAX_TILES (default 6000: the first tiles of the plan;
 * set 0 for the whole scene), BENCH_DIR (scene cache).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { makeTempDir } from '../../../core/testing/temp-dir.js';
import { addImages, type ImageRecord } from '../../catalog/catalog.js';
import { storeSizes } from '../../index/index-stats.js';
import { FULL_LAYOUT, newTableLayout, openTilesTable, type TileLayout } from '../../index/tiles-table.js';
import { maintainIndexes } from '../../index/vector-index.js';
import type { ClipEncoder } from '../../models/encoder.js';
import { Store } from '../../index/store.js';
import { ModelRegistry } from '../../models/registry.js';
import { REPO_ROOT, trainingPython } from '../../models/testing.js';
import { generateScene } from '../../synth/generate-scene.js';
import { ingestImage, type IngestProgress } from '../ingest-image.js';
import { planTiles, tilesOf, type TileSpec } from '../tile-plan.js';

const SIZE = Number(process.env.BENCH_SIZE ?? 20000);
const MAX = Number(process.env.BENCH_MAX_TILES ?? 6000);
const dir = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'geoscout-bench');

async function main() {
  mkdirSync(dir, { recursive: true });
  const tif = path.join(dir, `scene-${SIZE}-seed7.tif`);
  if (!existsSync(tif)) await generateScene(dir, `scene-${SIZE}-seed7`, { seed: 7, width: SIZE, height: SIZE });
  const tmp = await makeTempDir('geoscout-bench-ingest-');
  const config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state') } });
  const store = await Store.open(config.dbUri);
  const reg = new ModelRegistry(config.dataDir);
  const { dir: modelDir, manifest } = await reg.resolve();
  const enc = await reg.openEncoder(undefined, { threads: 2, batchSize: 32 });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  try {
    const image = (await addImages(store, [tif])).added[0]!;
    const plan = planTiles(image.width, image.height, { modelInput: manifest.image.input_size, gsdM: image.gsd_m });
    const all = [...tilesOf(plan, image.width, image.height)];
    const tiles = MAX > 0 ? all.slice(0, MAX) : all;
    const t0 = performance.now();
    // Ingest a plan-order prefix of `tiles.length` tiles: abort once enough batches are in.
    const ctl = new AbortController();
    let last: IngestProgress | undefined;
    await ingestImage(store, enc, image, {
      batchSize: 32,
      signal: ctl.signal,
      onProgress: (p) => {
        last = p;
        if (p.done >= tiles.length) ctl.abort();
      },
    }).catch((e: { code?: string }) => {
      if (e.code !== 'CANCELLED') throw e;
    });
    const secs = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const done = last!.done;
    const mb = tiles.slice(0, done).reduce((n, t) => n + t.size * t.size * 3, 0) / 1e6;
    const sh = last!.seconds;
    const tot = sh.read + sh.encode + sh.write;
    console.log(`\nIngest of ${done} tiles (${MAX > 0 ? 'a prefix of the plan' : 'the whole plan'}; ${plan.count} in all, levels ${plan.levels.map((l) => `${l.size} px = ${l.metres} m`).join(', ')}) of a ${SIZE}² scene with ${enc.modelVersion}, 2 threads`);
    console.log(`geoscout (sharp + ONNX Runtime + LanceDB): ${(done / secs).toFixed(1)} tiles/s, ${(mb / secs).toFixed(1)} MB/s of source pixels, peak RSS ${(peak / 1e6).toFixed(0)} MB, ${secs.toFixed(1)} s`);
    console.log(`  time: read+decode+resize ${pct(sh.read, tot)}, encode ${pct(sh.encode, tot)}, write ${pct(sh.write, tot)}`);
    const size = await indexSize(store, enc);
    const fileBytes = statSync(tif).size;
    // Bytes per stored tile × the plan's tiles (blank ones are not stored): the whole scene's index.
    const whole = (perTile: number) => `${((perTile * plan.count) / 1e6).toFixed(1)} MB = ${((100 * perTile * plan.count) / fileBytes).toFixed(1)} % of the ${(fileBytes / 1e6).toFixed(0)} MB GeoTIFF`;
    console.log(`index: ${size.perTile.toFixed(0)} B per tile (data ${size.dataPerTile.toFixed(0)} + scalar indexes ${(size.perTile - size.dataPerTile).toFixed(0)}; ${size.columns}); the whole plan's index would be ${whole(size.perTile)}`);
    const stored = await layoutSize(image, tiles.slice(0, OTHER_TILES), enc, { ...newTableLayout('float32'), geometry: true, bbox: 'float64' });
    console.log(`  sessions 12–14 layout (footprint and centre stored per tile, first ${OTHER_TILES} tiles): ${stored.perTile.toFixed(0)} B per tile, ${whole(stored.perTile)}; now / then: ${(size.perTile / stored.perTile).toFixed(3)}×`);
    const half = await layoutSize(image, tiles.slice(0, OTHER_TILES), enc, newTableLayout('float16'));
    console.log(`  with index.vectorType float16 (first ${OTHER_TILES} tiles): ${half.perTile.toFixed(0)} B per tile, ${whole(half.perTile)}`);
    const legacy = await layoutSize(image, tiles.slice(0, OTHER_TILES), enc, FULL_LAYOUT);
    console.log(`  before session 12 (fp32 vector + stored fp32 patch grid, first ${OTHER_TILES} tiles): ${legacy.perTile.toFixed(0)} B per tile, ${whole(legacy.perTile)}; now / before: ${(size.perTile / legacy.perTile).toFixed(3)}×`);
    const py = trainingPython();
    if (py) {
      const planFile = path.join(tmp.dir, 'plan.json');
      writeFileSync(planFile, JSON.stringify(tiles.slice(0, done).map((t) => [t.x, t.y, t.size])));
      const out = JSON.parse(execFileSync(py, [path.join(REPO_ROOT, 'pipeline/ingest/bench/bench_ingest_torch.py'), tif, path.join(modelDir, 'weights.pt'), planFile, '2'], {
        cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '2', OMP_WAIT_POLICY: 'ACTIVE' }, maxBuffer: 1 << 24,
      })) as { tiles_per_s: number; seconds: number; decode_s: number; crop_resize_s: number; encode_s: number; peak_rss_mb: number };
      console.log(`plain Python (PIL decode of the whole scene + PyTorch, vectors kept in memory): ${out.tiles_per_s.toFixed(1)} tiles/s, ${(mb / out.seconds).toFixed(1)} MB/s, peak RSS ${out.peak_rss_mb.toFixed(0)} MB, ${out.seconds.toFixed(1)} s`);
      console.log(`  time: decode ${pct(out.decode_s, out.seconds)}, crop+resize ${pct(out.crop_resize_s, out.seconds)}, encode ${pct(out.encode_s, out.seconds)}`);
      console.log(`geoscout / Python tiles/s: ${((done / secs) / out.tiles_per_s).toFixed(2)}×`);
    } else console.log('Python baseline skipped: run `npm run setup:py` first.');
  } finally {
    clearInterval(sampler);
    await enc.close();
    await store.close();
    await tmp.cleanup();
  }
}

/** Tiles ingested into stores of the other layouts for the size comparison. */
const OTHER_TILES = 1024;

/** Live bytes of the tiles table (after the ingest's compaction, old versions removed) per row. */
async function indexSize(store: Store, enc: ClipEncoder): Promise<{ perTile: number; dataPerTile: number; columns: string }> {
  const { table } = await openTilesTable(store, enc.manifest);
  await maintainIndexes(table, enc.dim);
  await table.optimize({ cleanupOlderThan: new Date() });
  const t = (await storeSizes(store)).find((x) => x.table.startsWith('tiles__'))!;
  const columns = t.columns.slice(0, 4).map((c) => `${c.name} ${c.bytesPerRow.toFixed(0)}`).join(', ');
  return { perTile: (t.dataBytes + (t.indexBytes ?? 0)) / t.rows, dataPerTile: t.dataBytes / t.rows, columns: `largest columns before Lance's compression: ${columns}` };
}

/** The same tiles in another layout, in a store of their own. */
async function layoutSize(image: ImageRecord, tiles: TileSpec[], enc: ClipEncoder, layout: TileLayout): Promise<{ perTile: number }> {
  const tmp = await makeTempDir('geoscout-bench-layout-');
  const store = await Store.open(path.join(tmp.dir, 'lancedb'));
  try {
    const rec = (await addImages(store, [image.uri])).added[0]!;
    const ctl = new AbortController();
    await ingestImage(store, enc, rec, { batchSize: 32, signal: ctl.signal, tableLayout: layout, onProgress: (p) => p.done >= tiles.length && ctl.abort() }).catch((e: { code?: string }) => {
      if (e.code !== 'CANCELLED') throw e;
    });
    return await indexSize(store, enc);
  } finally {
    await store.close();
    await tmp.cleanup();
  }
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;

await main();
