import { z } from 'zod';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import { sqlString, type Store } from '../index/store.js';
import { openTilesTable, tilesTableName, vectorValues } from '../index/tiles-table.js';
import { filterWhere, isRestrictive, type GeoTimeFilter } from '../index/where.js';
import { patchGridsOf } from './patch-grids.js';
import { searchFiltered, SEARCH_TUNING } from '../index/vector-index.js';
import { getImage, type ImageRecord } from '../catalog/catalog.js';
import { openCatalogImage, recordGeoref } from '../catalog/open-image.js';
import type { Stretch } from '../raster/stretch.js';
import type { Raster } from '../raster/raster.js';
import { objectRerank } from './object-rerank.js';
import type { Proposer } from '../detect/proposer.js';
import type { Exemplars } from '../detect/exemplars.js';
import { refineBox } from '../detect/refine-box.js';
import type { ClipEncoder } from '../models/encoder.js';
import { clipBoxTo, GeoJsonPolygonSchema, PixelWindowSchema, type Georef, type GeoJsonPolygon } from '../raster/georef.js';

/** Filters on where, when and what took the tile. */
export interface TileFilter extends GeoTimeFilter {
  levels?: number[];
}

/** One search hit, ready to cite. */
export const TileHitSchema = z.object({
  tile_id: z.string(),
  image_id: z.string(),
  model_version: z.string(),
  score: z.number(),
  tile_score: z.number(),
  patch_score: z.number().nullable(),
  object_score: z.number().nullable().describe('similarity of the best object proposal in the tile (rerank "objects")'),
  level: z.number(),
  window: PixelWindowSchema,
  footprint: GeoJsonPolygonSchema.nullable(),
  center: z.object({ lon: z.number(), lat: z.number() }).nullable(),
  acquired_at: z.string().nullable(),
  sensor: z.string().nullable(),
  gsd_m: z.number().nullable(),
  best_box: PixelWindowSchema.extend({ lon: z.number().nullable(), lat: z.number().nullable() }).nullable().describe('the best-matching object or patch region in image pixels, its centre in WGS84 when georeferenced'),
});
/** One search hit as tools return it. */
export type TileHit = z.infer<typeof TileHitSchema>;

/** Options of {@link searchTiles}. */
export interface SearchOptions {
  /**
   * `patches` (default): rank by tile + best patch region, box from saliency in that region.
   * `objects`: additionally rerank the best candidates by object proposals inside each tile
   * (see object-rerank.ts): object-sized boxes and better precision, 1.2–1.8 s cold per query
   * on 2 cores (bench:search-quality).
   */
  rerank?: 'patches' | 'objects';
  /** A prototype's examples: each is searched for too, and the object rerank compares proposals with the nearest one. */
  exemplars?: Exemplars;
  /** Proposals for the object rerank (default: saliency blobs). */
  proposer?: Proposer;
  /** Longest side in metres of what the query names (vocabulary.ts): the object rerank doubts boxes outside it. */
  sizeRangeM?: [number, number];
}

/**
 * Tiles the object rerank looks inside: 3× the hits asked for (at most 30, never fewer than
 * the limit). Ships lie in tiles the patch score ranks low and the object score lifts: with
 * limit + 5 instead, ship P@10 as called fell from 0.80 to 0.65 and image→tile P@10 from 1.00
 * to 0.86 (bench:search-quality), so the pool stays and the cost is cut elsewhere (cached
 * proposals, threads).
 */
export function rerankPool(limit: number): number {
  return Math.max(limit, Math.min(3 * limit, 30));
}

/** Candidates fetched by the ANN stage per final hit, re-ranked with patch vectors. */
const CANDIDATES_PER_HIT = 5;

/**
 * Two-stage tile search: approximate nearest neighbours over tile vectors with a SQL
 * prefilter (model version, area, time, sensor, GSD, images; exact search when the filter
 * keeps few rows, vector-index.ts), then a rerank that mixes
 * the tile score with the best patch score (small targets light up one patch of a tile
 * whose global vector is dominated by background) and reports that patch as the box.
 */
export async function searchTiles(store: Store, enc: ClipEncoder, q: Float32Array, filter: TileFilter, limit: number, signal?: AbortSignal, opts: SearchOptions = {}): Promise<TileHit[]> {
  const name = tilesTableName(enc.manifest.id);
  if (!(await store.tableNames()).includes(name)) throw noVectors(enc);
  const { table, layout } = await openTilesTable(store, enc.manifest);
  const where = whereOf(enc.modelVersion, filter);
  // A prototype's examples are searched for too, each tile keeping its best score: a class
  // with several looks (onshore and offshore turbines) is not one direction, and its mean
  // vector can sit where none of them is.
  const queries = [q, ...(opts.exemplars?.vectors ?? [])];
  const search = async (v: Float32Array, exact: boolean) => {
    throwIfAborted(signal);
    const s = table
      .vectorSearch(Array.from(v))
      .distanceType('dot')
      .nprobes(SEARCH_TUNING.nprobes)
      .refineFactor(SEARCH_TUNING.refineFactor)
      .where(where)
      .limit(limit * CANDIDATES_PER_HIT);
    return (await (exact ? s.bypassVectorIndex() : s).toArray()) as Record<string, unknown>[];
  };
  // The first query decides for all whether the filter keeps few enough rows to search exactly.
  const first = await searchFiltered(table, where, isRestrictive(filter), (exact) => search(q, exact));
  const found: Record<string, unknown>[][] = [first.rows];
  for (const v of queries.slice(1)) found.push(await search(v, first.exact));
  const any = found.some((rows) => rows.length > 0);
  // A compact table stores no patch grids: the candidates' grids are recomputed, once per tile.
  const grids = layout.patchGrid ? null : await patchGridsOf(store, enc, found.flat().map(tileRef), signal);
  const georefs = layout.geometry ? null : await imageGeorefs(store, found.flat().map((r) => String(r.image_id)));
  const best = new Map<string, TileHit>();
  found.forEach((rows, k) => {
    for (const r of rows) {
      const h = rerank(withGeometry(r, georefs), queries[k]!, enc, grids ? (grids.get(String(r.tile_id)) ?? null) : vectorValues(r.patch_vectors));
      const prev = best.get(h.tile_id);
      if (!prev || h.score > prev.score) best.set(h.tile_id, h);
    }
  });
  // Only an empty result pays for the count that tells "no vectors for this model" from
  // "nothing matched the filter"; a hit proves the model's vectors exist.
  if (!any && (await table.countRows(`model_version = ${sqlString(enc.modelVersion)}`)) === 0) throw noVectors(enc);
  const hits = [...best.values()];
  hits.sort((a, b) => b.score - a.score);
  if (opts.rerank === 'objects') {
    const pool = hits.slice(0, Math.min(hits.length, rerankPool(limit)));
    await objectRerank(store, enc, q, pool, signal, opts);
    await tightenBoxes(store, pool.filter((h) => h.object_score === null), signal);
    pool.sort((a, b) => b.score - a.score);
    return pool.slice(0, limit);
  }
  const top = hits.slice(0, limit);
  await tightenBoxes(store, top, signal);
  return top;
}

/**
 * Replaces each hit's patch-region box by the object box found inside it (see
 * refine-box.ts), reading the region plus one cell of margin from the image, and
 * updates the box centre's lon/lat. Hits of images that cannot be read keep their box.
 */
async function tightenBoxes(store: Store, hits: TileHit[], signal?: AbortSignal): Promise<void> {
  await forEachImage(store, hits.filter((h) => h.best_box), signal, async (rec, raster, list) => {
    for (const h of list) {
      const core = h.best_box!;
      const m = Math.max(core.width, core.height) / 2;
      const x0 = Math.max(0, Math.floor(core.x - m)), y0 = Math.max(0, Math.floor(core.y - m));
      const area = { x: x0, y: y0, width: Math.min(rec.width, Math.ceil(core.x + core.width + m)) - x0, height: Math.min(rec.height, Math.ceil(core.y + core.height + m)) - y0 };
      const scale = Math.max(1, Math.max(area.width, area.height) / 256);
      const rgb = await raster.readRgb(area, { outWidth: Math.max(1, Math.round(area.width / scale)), outHeight: Math.max(1, Math.round(area.height / scale)), stretch: rec.stretch as Stretch });
      const box = clipBoxTo(refineBox(rgb, area, core, area.width / rgb.width), h.window);
      const ll = raster.georef?.pixelToLonLat(box.x + box.width / 2, box.y + box.height / 2);
      h.best_box = { ...box, lon: ll ? Math.round(ll[0] * 1e7) / 1e7 : null, lat: ll ? Math.round(ll[1] * 1e7) / 1e7 : null };
    }
  });
}

/**
 * Groups hits by image and runs `fn` once per image with its record and an open raster
 * (closed afterwards). Hits of images that cannot be read are left as they are.
 */
export async function forEachImage(store: Store, hits: TileHit[], signal: AbortSignal | undefined, fn: (rec: ImageRecord, raster: Raster, hits: TileHit[]) => Promise<void>): Promise<void> {
  const byImage = new Map<string, TileHit[]>();
  for (const h of hits) byImage.set(h.image_id, [...(byImage.get(h.image_id) ?? []), h]);
  for (const [imageId, list] of byImage) {
    throwIfAborted(signal);
    const rec = await getImage(store, imageId).catch(() => null);
    if (!rec) continue;
    const raster = await openCatalogImage(rec).catch(() => null);
    if (!raster) continue;
    try {
      await fn(rec, raster, list);
    } finally {
      await raster.close();
    }
  }
}

function noVectors(enc: ClipEncoder): GeoscoutError {
  return new GeoscoutError('NOT_FOUND', `No tiles are embedded with model ${enc.modelVersion}. Run \`geoscout ingest --all\` with it, or search with the model the archive was embedded with (\`geoscout models use\`).`, {
    details: { modelVersion: enc.modelVersion },
  });
}

/** The where clause of a tile search: the model version, the filter, the pyramid levels. */
export function whereOf(modelVersion: string, f: TileFilter): string {
  return filterWhere(f, [`model_version = ${sqlString(modelVersion)}`, ...(f.levels?.length ? [`level IN (${f.levels.map((l) => Math.trunc(l)).join(', ')})`] : [])]);
}

/** The georeferencing of each image, from its catalog row (null: not georeferenced or not catalogued). */
async function imageGeorefs(store: Store, ids: string[]): Promise<Map<string, Georef | null>> {
  const out = new Map<string, Georef | null>();
  for (const id of new Set(ids)) out.set(id, await getImage(store, id).then(recordGeoref, () => null));
  return out;
}

/**
 * A row of a table that stores no footprint and centre (TileLayout.geometry) with them
 * derived from its image's georeferencing, as ingest computed them for older tables.
 */
function withGeometry(r: Record<string, unknown>, georefs: Map<string, Georef | null> | null): Record<string, unknown> {
  if (!georefs) return r;
  const g = georefs.get(String(r.image_id));
  if (!g) return { ...r, footprint: null, center_lon: null, center_lat: null };
  const x = Number(r.x), y = Number(r.y), size = Number(r.size);
  const [lon, lat] = g.pixelToLonLat(x + size / 2, y + size / 2);
  return { ...r, footprint: g.footprint({ x, y, width: size, height: size }, 1), center_lon: lon, center_lat: lat };
}

function tileRef(r: Record<string, unknown>) {
  return { tile_id: String(r.tile_id), image_id: String(r.image_id), x: Number(r.x), y: Number(r.y), size: Number(r.size) };
}

function rerank(r: Record<string, unknown>, q: Float32Array, enc: ClipEncoder, patches: Float32Array | null): TileHit {
  const D = enc.dim;
  const vec = vectorValues(r.vector)!;
  let tileScore = 0;
  for (let i = 0; i < D; i++) tileScore += vec[i]! * q[i]!;
  const size = Number(r.size);
  const x = Number(r.x), y = Number(r.y);
  let patchScore: number | null = null;
  let best: TileHit['best_box'] = null;
  const grid = enc.manifest.image.patch_grid;
  if (grid && patches && patches.length === grid[0] * grid[1] * D) {
    const scores = new Float32Array(grid[0] * grid[1]);
    for (let p = 0; p < scores.length; p++) {
      let sc = 0;
      for (let i = 0; i < D; i++) sc += patches[p * D + i]! * q[i]!;
      scores[p] = sc;
    }
    const cells = matchRegion(scores, grid[0], grid[1]);
    patchScore = cells.best;
    const cw = size / grid[1], ch = size / grid[0];
    const bx = Math.round(x + cells.c0 * cw), by = Math.round(y + cells.r0 * ch);
    best = { x: bx, y: by, width: Math.round((cells.c1 - cells.c0 + 1) * cw), height: Math.round((cells.r1 - cells.r0 + 1) * ch), lon: null, lat: null };
  }
  const footprint = typeof r.footprint === 'string' ? (JSON.parse(r.footprint) as GeoJsonPolygon) : ((r.footprint as GeoJsonPolygon | null | undefined) ?? null);
  if (best && footprint && r.min_lon !== null) {
    // Bilinear position inside the tile footprint (corners: TL, BL, BR, TR).
    const [tl, bl, br, tr] = footprint.coordinates[0]!;
    const u = (best.x + best.width / 2 - x) / size, v = (best.y + best.height / 2 - y) / size;
    const lerp = (a: number[], b: number[], t: number) => [a[0]! + (b[0]! - a[0]!) * t, a[1]! + (b[1]! - a[1]!) * t];
    const [lon, lat] = lerp(lerp(tl!, tr!, u), lerp(bl!, br!, u), v);
    best.lon = Math.round(lon! * 1e7) / 1e7;
    best.lat = Math.round(lat! * 1e7) / 1e7;
  }
  return {
    tile_id: String(r.tile_id),
    image_id: String(r.image_id),
    model_version: String(r.model_version),
    score: patchScore === null ? tileScore : 0.5 * tileScore + 0.5 * patchScore,
    tile_score: tileScore,
    patch_score: patchScore,
    object_score: null,
    level: Number(r.level),
    window: { x, y, width: size, height: size },
    footprint,
    center: r.center_lon === null || r.center_lon === undefined ? null : { lon: Number(r.center_lon), lat: Number(r.center_lat) },
    acquired_at: r.acquired_at === null || r.acquired_at === undefined ? null : new Date(Number(r.acquired_at)).toISOString(),
    sensor: (r.sensor as string | null) ?? null,
    gsd_m: (r.gsd_m as number | null) ?? null,
    best_box: best,
  };
}

/** Patch cells whose score is this close to the best one belong to the same match. */
const REGION_MARGIN = 0.04;

/**
 * The matched region: the best patch plus the 4-connected patches scoring within
 * REGION_MARGIN of it, as a cell rectangle. A single 16-px patch would be far smaller
 * than an airliner or a ship; growing over similar neighbours gives an object-sized box.
 */
export function matchRegion(scores: Float32Array, rows: number, cols: number): { best: number; r0: number; c0: number; r1: number; c1: number } {
  let bi = 0;
  for (let p = 1; p < scores.length; p++) if (scores[p]! > scores[bi]!) bi = p;
  const best = scores[bi]!;
  const seen = new Uint8Array(scores.length);
  const stack = [bi];
  seen[bi] = 1;
  let r0 = rows, c0 = cols, r1 = -1, c1 = -1;
  while (stack.length) {
    const p = stack.pop()!;
    const r = Math.floor(p / cols), c = p % cols;
    r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
    for (const [dr, dc] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
      const rr = r + dr, cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= rows || cc >= cols) continue;
      const q = rr * cols + cc;
      if (!seen[q] && scores[q]! >= best - REGION_MARGIN) {
        seen[q] = 1;
        stack.push(q);
      }
    }
  }
  return { best, r0, c0, r1, c1 };
}
