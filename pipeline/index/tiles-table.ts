import { Field, FixedSizeList, Float16, Float32, Float64, Int32, Precision, Schema, TimestampMillisecond, Type, Utf8, type DataType } from 'apache-arrow';
import type * as lancedb from '@lancedb/lancedb';
import { GeoscoutError } from '../../core/errors.js';
import { bboxColumns } from './schemas.js';
import type { Store } from './store.js';

/**
 * Tile vectors of one model id live in their own table, `tiles__<model id>`: vector
 * sizes differ between models (128-d geoscout-mini, 512-d ViT-B/32) and a LanceDB
 * vector column has one size. Versions of the same model share the table and are told
 * apart by `model_version`, which every query filters on, so results never mix versions.
 */
export function tilesTableName(modelId: string): string {
  return `tiles__${modelId.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * How a tiles table stores a tile. New tables: the tile vector (float32, or float16 with
 * `index.vectorType`) and no patch grid: the grid (gh×gw×D fp32, 32 KB a tile for
 * geoscout-mini, 2.75× the imagery) is recomputed from pixels for the few candidates a
 * search reranks (patch-grids.ts). Tables made before session 12 ({@link FULL_LAYOUT}) also
 * store the grid (`patch_vectors`), read instead of recomputed. Both keep working;
 * `geoscout index compact` drops a full table's grids in place.
 */
export interface TileLayout {
  vector: 'float16' | 'float32';
  patchGrid: boolean;
  /**
   * Whether rows store the tile's WGS84 footprint (GeoJSON text) and centre. Tables made
   * before session 15 do (about 200 B of a ~820 B row); new ones keep only the bbox columns
   * that filters need, and search derives footprint and centre from the image's georeferencing
   * in the catalog (tile-search.ts), which gives the same polygon.
   */
  geometry: boolean;
  /**
   * Type of the WGS84 bbox columns. Tables made since session 16 store float32, rounded
   * outward (min down, max up: within 2 m, and a tile is never filtered out of an area it
   * overlaps), which with their btree indexes saves 37 B a tile; older tables keep float64.
   */
  bbox: 'float32' | 'float64';
}

export const COMPACT_LAYOUT: TileLayout = { vector: 'float32', patchGrid: false, geometry: false, bbox: 'float32' };

/** The layout of tables created from now on, from `index.vectorType`. */
export function newTableLayout(vectorType: TileLayout['vector']): TileLayout {
  return { ...COMPACT_LAYOUT, vector: vectorType };
}
export const FULL_LAYOUT: TileLayout = { vector: 'float32', patchGrid: true, geometry: true, bbox: 'float64' };

/** The Arrow schema for a model's tiles table. */
export function tilesSchema(dim: number, patchCount: number, layout: TileLayout = COMPACT_LAYOUT): Schema {
  const f64 = (n: string) => new Field(n, new Float64(), true);
  const i32 = (n: string) => new Field(n, new Int32(), false);
  const item = () => new Field('item', layout.vector === 'float16' ? new Float16() : new Float32(), true);
  return new Schema([
    new Field('tile_id', new Utf8(), false),
    new Field('image_id', new Utf8(), false),
    new Field('model_version', new Utf8(), false),
    i32('level'),
    i32('x'),
    i32('y'),
    i32('size'),
    ...bboxColumns(layout.bbox),
    ...(layout.geometry ? [f64('center_lon'), f64('center_lat'), new Field('footprint', new Utf8(), true)] : []),
    new Field('acquired_at', new TimestampMillisecond('UTC'), true),
    new Field('sensor', new Utf8(), true),
    f64('gsd_m'),
    new Field('vector', new FixedSizeList(dim, item()), false),
    ...(layout.patchGrid && patchCount > 0 ? [new Field('patch_vectors', new FixedSizeList(patchCount * dim, new Field('item', new Float32(), true)), true)] : []),
  ]);
}

/** The layout of an existing tiles table, read from its schema. */
export function layoutOf(schema: Schema): TileLayout {
  const v = schema.fields.find((f) => f.name === 'vector');
  const child = (v?.type as FixedSizeList | undefined)?.children?.[0]?.type as DataType | undefined;
  const has = (n: string) => schema.fields.some((f) => f.name === n);
  const bbox = schema.fields.find((f) => f.name === 'min_lon')?.type as DataType | undefined;
  return {
    vector: child && child.typeId === Type.Float && (child as Float16).precision === 0 ? 'float16' : 'float32',
    patchGrid: has('patch_vectors'), geometry: has('footprint'),
    bbox: bbox && bbox.typeId === Type.Float && (bbox as Float32).precision === Precision.SINGLE ? 'float32' : 'float64',
  };
}

/** A model's tiles table, opened in the layout it has (or created in `forNew`). */
export interface TilesTable {
  table: lancedb.Table;
  layout: TileLayout;
}

/** What a tiles table needs to know of the model. */
export interface TileModel {
  id: string;
  embed_dim: number;
  image: { patch_grid?: [number, number] | undefined; outputs: { patch_embeds?: string | undefined } };
}

/** Patch vectors per tile the model produces (0 without a patch output). */
export function modelPatchCount(m: TileModel): number {
  const g = m.image.patch_grid;
  return m.image.outputs.patch_embeds && g ? g[0] * g[1] : 0;
}

/**
 * Opens a model's tiles table in whatever layout it was made with; creates it in `forNew`
 * (default compact) when it does not exist. A table whose vector size differs from the
 * model's is a CONFLICT (Store.tableWithSchema).
 */
export async function openTilesTable(store: Store, m: TileModel, forNew: TileLayout = COMPACT_LAYOUT): Promise<TilesTable> {
  const name = tilesTableName(m.id);
  const have = await store.existingSchema(name);
  const layout = have ? layoutOf(have) : forNew;
  if (have && !have.fields.some((f) => f.name === 'vector')) throw new GeoscoutError('CORRUPT_DATA', `Table ${name} in ${store.uri} has no vector column; move ${name}.lance aside and ingest again.`);
  return { table: await store.tableWithSchema(name, tilesSchema(m.embed_dim, modelPatchCount(m), layout)), layout };
}

/**
 * A stored vector as float32: LanceDB returns vector columns as Arrow vectors, whose
 * `toArray()` is the raw storage (IEEE half bits in a Uint16Array for float16 columns).
 */
export function vectorValues(v: unknown): Float32Array | null {
  if (v === null || v === undefined) return null;
  const raw = typeof (v as { toArray?: unknown }).toArray === 'function' ? (v as { toArray(): ArrayLike<number> }).toArray() : (v as ArrayLike<number>);
  if (raw instanceof Float32Array) return raw;
  if (raw instanceof Uint16Array) return Float32Array.from(raw, halfToFloat);
  return Float32Array.from(raw);
}

/** IEEE 754 half-precision bits to a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * A vector rounded to the nearest float16 values (as float32). Values a float16 column can
 * hold exactly pass apache-arrow 18's float64ToUint16 unchanged; others do not always: when
 * rounding carries into the exponent it ORs instead of adding, so a value just below a power
 * of two comes out doubled or, near the top, as Infinity/NaN (2 vectors in 100,000 random
 * ones, which then fail LanceDB's NaN check at index build). Rounding here first avoids it.
 */
export function roundToHalf(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!, a = Math.abs(x);
    if (!(a > 0)) { out[i] = x; continue; }
    // Spacing of float16 values around x: 2^(e−10) for normal numbers, 2^−24 below 2^−14.
    const step = a < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(a)) - 10);
    out[i] = Math.sign(x) * Math.min(65504, Math.round(a / step) * step);
  }
  return out;
}

/**
 * A [minLon, minLat, maxLon, maxLat] box as the layout stores it: for float32 columns, each
 * minimum rounded down and each maximum up to the nearest float32, so the stored box always
 * contains the true one and an area filter never drops a tile that overlaps the area.
 */
export function storedBbox(bb: [number, number, number, number], layout: TileLayout): [number, number, number, number] {
  if (layout.bbox === 'float64') return bb;
  return [f32Toward(bb[0], -1), f32Toward(bb[1], -1), f32Toward(bb[2], 1), f32Toward(bb[3], 1)];
}

const f32 = new Float32Array(1);
const f32bits = new Int32Array(f32.buffer);

/** The nearest float32 to `x` on the side `dir` (−1: at most x, 1: at least x). */
export function f32Toward(x: number, dir: -1 | 1): number {
  f32[0] = x;
  const r = f32[0]!;
  if (r === x || !Number.isFinite(r)) return r;
  if ((r - x) * dir > 0) return r;
  // One float32 step toward `dir`: the bit pattern moves away from zero for positive steps of
  // positive numbers and toward zero for negative ones (sign-magnitude order).
  if (r === 0) return dir * 1.401298464324817e-45;
  f32bits[0] = f32bits[0]! + (Math.sign(r) === dir ? 1 : -1);
  return f32[0]!;
}
