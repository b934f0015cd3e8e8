import { createHash } from 'node:crypto';
import type { Store } from '../index/store.js';
import { sqlString } from '../index/store.js';
import { openTilesTable, tilesTableName, vectorValues } from '../index/tiles-table.js';
import type { ClipEncoder } from '../models/encoder.js';
import { intersectWindows, type PixelWindow } from '../raster/georef.js';
import { backgroundPromptVectors } from './scorer.js';
import { dot } from './vectors.js';
import { settingEntries } from './vocabulary.js';

/**
 * When a stored tile may hold a text query, per shipped model: its cosine to the query is at
 * least `cosine`, and exceeds its cosine to the nearest empty-scene prompt (vocabulary.ts
 * BACKGROUND_PROMPTS, minus the settings the query names) by at least `margin`. The cosine
 * alone passed 72 % of a coastal scene's tiles for "ship" (to a small encoder a ship is
 * mostly water); the margin tells a tile of open water from one with a boat on it.
 * Calibrated on tuning scenes 43001–43008 (not the benchmark's held-out 41001–41012) with
 * pipeline/detect/train/calibrate-tile-gate.ts. A model without an entry (an imported CLIP:
 * its cosines live on another scale) is not gated: a fixed share would drop objects in dense
 * scenes.
 */
export const CALIBRATED_TILE_GATE: Record<string, { cosine: number; margin: number }> = { 'geoscout-mini': { cosine: 0.45, margin: -0.3 } };

/** Share of the other level-0 tiles kept at random (the recall guard: misses stay visible). */
export const DEFAULT_SAMPLE = 0.03;

/** Options of {@link tileGate}. */
export interface GateOptions {
  /** Minimum tile–query cosine (default: the model's calibrated value; none, no gate). */
  threshold?: number;
  /** Minimum lead of the query over the nearest background prompt (default: the model's calibrated value). */
  margin?: number;
  /** Share of the remaining level-0 tiles kept at random (default {@link DEFAULT_SAMPLE}). */
  sample?: number;
}

/** A query as the gate sees it: its vector and the words that may name a setting. */
export interface GateQuery {
  queryVector: Float32Array;
  text?: string | undefined;
}

/**
 * Where one query may be: `all` the tiles of every level that may hold it (large objects are
 * whole only in coarser tiles), `small` only its level-0 tiles (objects up to `smallSide`
 * pixels, which a level-0 tile sees), both with the random sample.
 */
export interface QueryAreas {
  all: PixelWindow[];
  small: PixelWindow[];
}

/** Where detection runs after the gate. */
export interface GateResult {
  /** Per query (same order as given). */
  areas: QueryAreas[];
  /** Side in image pixels of the level-0 tiles. */
  smallSide: number;
  threshold: number;
  margin: number;
  tiles: { total: number; kept: number; sampled: number };
  /** Share of the window's pixels the areas of all queries cover. */
  coverage: number;
}

interface TileRow { level: number; x: number; y: number; size: number; vector: unknown }

/**
 * Ranks the tiles stored for an image's window against each query and keeps, per query, those
 * that may hold it, so detection reads, proposes and encodes only there. A small random sample
 * of the other level-0 tiles is searched for every query as a recall guard. Null, and the
 * caller searches every pixel, when the image has no stored tiles for this model (never
 * ingested) or the model has no calibrated gate.
 */
export async function tileGate(store: Store, enc: ClipEncoder, imageId: string, win: PixelWindow, queries: GateQuery[], opts: GateOptions = {}): Promise<GateResult | null> {
  const cal = CALIBRATED_TILE_GATE[enc.manifest.id];
  const threshold = opts.threshold ?? cal?.cosine, margin = opts.margin ?? cal?.margin ?? -Infinity;
  if (threshold === undefined || !queries.length || !(await store.tableNames()).includes(tilesTableName(enc.manifest.id))) return null;
  const { table } = await openTilesTable(store, enc.manifest);
  const where = `image_id = ${sqlString(imageId)} AND model_version = ${sqlString(enc.modelVersion)} AND x < ${win.x + win.width} AND y < ${win.y + win.height} AND x + size > ${win.x} AND y + size > ${win.y}`;
  const rows = (await table.query().where(where).select(['level', 'x', 'y', 'size', 'vector']).toArray()) as TileRow[];
  if (!rows.length) return null;
  const bg = await backgroundPromptVectors(enc);
  const scorers = queries.map((q) => tileScorer(q, bg));
  const sample = opts.sample ?? DEFAULT_SAMPLE;
  const areas: QueryAreas[] = queries.map(() => ({ all: [], small: [] }));
  const all: PixelWindow[] = [];
  let smallSide = Infinity;
  let kept = 0, sampled = 0;
  for (const r of rows) {
    const v = vectorValues(r.vector)!;
    const hits = scorers.map((s) => s(v)).map(([cos, lead]) => cos >= threshold && lead >= margin);
    const lucky = !hits.some(Boolean) && r.level === 0 && sample > 0 && pick(imageId, r, sample);
    if (!hits.some(Boolean) && !lucky) continue;
    if (lucky) sampled++;
    else kept++;
    const a = intersectWindows({ x: r.x, y: r.y, width: r.size, height: r.size }, win);
    if (a.width <= 0 || a.height <= 0) continue;
    all.push(a);
    if (r.level === 0) smallSide = Math.min(smallSide, r.size);
    hits.forEach((h, i) => {
      if (!h && !lucky) return;
      areas[i]!.all.push(a);
      if (r.level === 0) areas[i]!.small.push(a);
    });
  }
  return { areas, smallSide: Number.isFinite(smallSide) ? smallSide : 0, threshold, margin, tiles: { total: rows.length, kept, sampled }, coverage: coverageOf(all, win) };
}

/**
 * A tile's [cosine to the query, lead over the nearest background prompt the query does not
 * name as its setting] ("an aircraft on a road" does not compete with "an empty road").
 */
export function tileScorer(q: GateQuery, background: Float32Array[]): (v: ArrayLike<number>) => [number, number] {
  const setting = settingEntries(q.text);
  const bg = background.filter((_, i) => !setting.has(i));
  return (v) => {
    const cos = dot(q.queryVector, v);
    let best = -Infinity;
    for (const b of bg) best = Math.max(best, dot(b, v));
    return [cos, bg.length ? cos - best : Infinity];
  };
}

/** A deterministic draw per tile, so the same call samples the same tiles (idempotent detections). */
function pick(imageId: string, r: TileRow, share: number): boolean {
  const h = createHash('sha1').update(`${imageId}|${r.level}|${r.x}|${r.y}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < share;
}

/** Covered share of the window, on a 16-px grid. */
function coverageOf(areas: PixelWindow[], w: PixelWindow): number {
  const c = 16, gw = Math.ceil(w.width / c), gh = Math.ceil(w.height / c);
  const grid = new Uint8Array(gw * gh);
  for (const a of areas) {
    for (let j = Math.floor((a.y - w.y) / c); j < Math.ceil((a.y + a.height - w.y) / c); j++) {
      for (let i = Math.floor((a.x - w.x) / c); i < Math.ceil((a.x + a.width - w.x) / c); i++) grid[j * gw + i] = 1;
    }
  }
  return grid.reduce((s, v) => s + v, 0) / grid.length;
}
