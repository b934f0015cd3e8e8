import pLimit from 'p-limit';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import type { ImageRecord } from '../catalog/catalog.js';
import { sqlString, type Store } from '../index/store.js';
import { openTilesTable, roundToHalf, storedBbox, type TileLayout } from '../index/tiles-table.js';
import { maintainIndexes } from '../index/vector-index.js';
import type { ClipEncoder } from '../models/encoder.js';
import { bboxOf } from '../raster/georef.js';
import type { RgbImage } from '../raster/raster.js';
import type { Georef } from '../raster/georef.js';
import { openCatalogImage } from '../catalog/open-image.js';
import type { Stretch } from '../raster/stretch.js';
import { planTiles, tileIdOf, tilesOf, type TilePlanOptions, type TileSpec } from './tile-plan.js';

/** Knobs of one ingest run. */
export interface IngestOptions {
  signal?: AbortSignal;
  /** Called after every committed batch. */
  onProgress?: (p: IngestProgress) => void;
  /** Window reads in flight (bounded: memory is batch × tile size). Default 4. */
  readConcurrency?: number;
  /** Tiles per encoder batch. Default 32. */
  batchSize?: number;
  /** Tiles per LanceDB commit (default 128, at least batchSize): what a killed run may have to redo. */
  commitTiles?: number;
  /** Rows before the tiles table gets an IVF-PQ index (default 100,000). */
  indexThreshold?: number;
  /** Overrides of the tile plan (target GSD, levels, overlap). */
  plan?: Partial<Omit<TilePlanOptions, 'modelInput' | 'gsdM'>>;
  /** Layout of the tiles table when this run creates it (default: float32 vectors, no grids; an existing table keeps its own). */
  tableLayout?: TileLayout;
}

/** Progress and final counts. */
export interface IngestProgress {
  imageId: string;
  modelVersion: string;
  planned: number;
  /** Tiles already in the table before this run (a resumed or repeated run). */
  existing: number;
  written: number;
  blank: number;
  done: number;
  seconds: { read: number; encode: number; write: number };
}

/** Tiles per LanceDB commit (several encoder batches). */
const COMMIT_TILES = 128;

/**
 * Embeds every tile of one catalogued image with one model and commits tile rows (with
 * their patch grids in a `full` table) in batches. Resumable and idempotent: tiles come in a fixed order,
 * rows are committed every 128 tiles (commitTiles), and tiles already stored for this
 * image and model version are skipped, so a killed run loses at most its uncommitted rows
 * and a re-run adds nothing. Blank tiles (all nodata, or flat) are not stored.
 */
export async function ingestImage(store: Store, encoder: ClipEncoder, image: ImageRecord, opts: IngestOptions = {}): Promise<IngestProgress> {
  if (image.status === 'stale') throw new GeoscoutError('INVALID_INPUT', `Image ${image.image_id} is stale (its file changed); add the file again and ingest the new id.`);
  const m = encoder.manifest;
  const P = m.image.patch_grid ? m.image.patch_grid[0] * m.image.patch_grid[1] : 0;
  const { table, layout } = await openTilesTable(store, m, opts.tableLayout);
  const plan = planTiles(image.width, image.height, { modelInput: m.image.input_size, gsdM: image.gsd_m, ...opts.plan });
  const where = `image_id = ${sqlString(image.image_id)} AND model_version = ${sqlString(encoder.modelVersion)}`;
  const have = new Set((await table.query().where(where).select(['tile_id']).toArray()).map((r) => String((r as { tile_id: string }).tile_id)));
  const progress: IngestProgress = {
    imageId: image.image_id, modelVersion: encoder.modelVersion, planned: plan.count, existing: have.size,
    written: 0, blank: 0, done: have.size, seconds: { read: 0, encode: 0, write: 0 },
  };
  const raster = await openCatalogImage(image);
  const limit = pLimit(opts.readConcurrency ?? 4);
  const batchSize = opts.batchSize ?? 32;
  const stretch = image.stretch as Stretch;
  // Rows wait for a commit of ≥ COMMIT_TILES: a keyed merge-insert costs ~1.7× an append
  // per commit, so fewer, larger commits keep writes cheap. A killed run loses at most the
  // uncommitted rows; the re-run embeds them again.
  const commitTiles = Math.max(batchSize, opts.commitTiles ?? COMMIT_TILES);
  let rows: Record<string, unknown>[] = [];
  let uncounted = 0;
  const write = async () => {
    if (rows.length) {
      const t0 = performance.now();
      // Keyed by tile id: two ingests of the same image at once (or a cluster task retried
      // while the first still runs) store each tile once.
      await store.upsert(table, 'tile_id', rows);
      progress.seconds.write += (performance.now() - t0) / 1000;
      progress.written += rows.length;
    }
    progress.done += uncounted;
    rows = [];
    uncounted = 0;
    opts.onProgress?.({ ...progress, seconds: { ...progress.seconds } });
  };
  try {
    let batch: TileSpec[] = [];
    const flush = async () => {
      if (batch.length) await commitBatch(batch);
      batch = [];
    };
    const commitBatch = async (tiles: TileSpec[]) => {
      throwIfAborted(opts.signal);
      let t0 = performance.now();
      const S = m.image.input_size;
      const rgbs = await Promise.all(tiles.map((t) => limit(() => raster.readRgb({ x: t.x, y: t.y, width: t.size, height: t.size }, { outWidth: S, outHeight: S, stretch, ...(opts.signal ? { signal: opts.signal } : {}) }))));
      const keep = tiles.map((_, i) => !isBlank(rgbs[i]!));
      const kept = tiles.filter((_, i) => keep[i]);
      progress.blank += tiles.length - kept.length;
      progress.seconds.read += (performance.now() - t0) / 1000;
      if (kept.length) {
        t0 = performance.now();
        const emb = await encoder.encodeImages(rgbs.filter((_, i) => keep[i]), { patches: layout.patchGrid, ...(opts.signal ? { signal: opts.signal } : {}) });
        progress.seconds.encode += (performance.now() - t0) / 1000;
        rows.push(...kept.map((t, i) => tileRow(image, encoder, t, emb.embeds.subarray(i * m.embed_dim, (i + 1) * m.embed_dim), emb.patches?.subarray(i * P * m.embed_dim, (i + 1) * P * m.embed_dim), raster.georef, layout)));
      }
      uncounted += tiles.length;
      if (rows.length >= commitTiles) await write();
    };
    for (const t of tilesOf(plan, image.width, image.height)) {
      if (have.has(tileIdOf(image.image_id, encoder.modelVersion, t))) continue;
      batch.push(t);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    await write();
    if (progress.written > 0) await maintainIndexes(table, m.embed_dim, opts.indexThreshold ? { threshold: opts.indexThreshold } : {});
    return progress;
  } finally {
    await raster.close();
  }
}

function tileRow(image: ImageRecord, encoder: ClipEncoder, t: TileSpec, vec: Float32Array, patches: Float32Array | undefined, georef: Georef | null, layout: TileLayout) {
  const fp = georef ? georef.footprint({ x: t.x, y: t.y, width: t.size, height: t.size }, 1) : null;
  const bb = fp ? storedBbox(bboxOf(fp), layout) : null;
  const c = georef && layout.geometry ? georef.pixelToLonLat(t.x + t.size / 2, t.y + t.size / 2) : null;
  return {
    tile_id: tileIdOf(image.image_id, encoder.modelVersion, t),
    image_id: image.image_id,
    model_version: encoder.modelVersion,
    level: t.level, x: t.x, y: t.y, size: t.size,
    min_lon: bb?.[0] ?? null, min_lat: bb?.[1] ?? null, max_lon: bb?.[2] ?? null, max_lat: bb?.[3] ?? null,
    // Older tables store footprint and centre; new ones derive them from the image (TileLayout.geometry).
    ...(layout.geometry ? { center_lon: c?.[0] ?? null, center_lat: c?.[1] ?? null, footprint: fp ? JSON.stringify(fp) : null } : {}),
    acquired_at: image.acquired_at ? new Date(image.acquired_at) : null,
    sensor: image.sensor,
    gsd_m: image.gsd_m,
    // Typed arrays go to LanceDB as they are: ~2× faster writes than number[] (measured).
    vector: layout.vector === 'float16' ? roundToHalf(vec) : vec.slice(),
    ...(patches ? { patch_vectors: patches.slice() } : {}),
  };
}

/** Flat tiles (nodata borders, empty sea at the edge of a swath) carry no content worth a vector. */
export function isBlank(img: RgbImage): boolean {
  const d = img.data;
  let sum = 0, sq = 0, n = 0;
  for (let i = 0; i < d.length; i += 3 * 7) {
    const v = (d[i]! + d[i + 1]! + d[i + 2]!) / 3;
    sum += v; sq += v * v; n++;
  }
  const mean = sum / n;
  return sq / n - mean * mean < 1; // standard deviation below 1 grey level
}
