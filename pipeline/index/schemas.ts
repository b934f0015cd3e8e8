import { Field, Float32, Float64, Int32, Int64, List, Schema, TimestampMillisecond, Utf8 } from 'apache-arrow';

const str = (name: string, nullable = true) => new Field(name, new Utf8(), nullable);
const f64 = (name: string) => new Field(name, new Float64(), true);
const i32 = (name: string) => new Field(name, new Int32(), true);
const time = (name: string) => new Field(name, new TimestampMillisecond('UTC'), true);

/**
 * WGS84 bounding box and centre as plain float columns: area filters are range
 * predicates LanceDB can serve from scalar indexes (images and tiles share them).
 */
export function geoColumns(): Field[] {
  return [...bboxColumns(), ...['center_lon', 'center_lat'].map(f64)];
}

/**
 * The WGS84 bounding-box columns area filters use (index/where.ts): float64, or float32 for
 * tiles tables made since session 16 (tiles-table.ts, TileLayout.bbox).
 */
export function bboxColumns(type: 'float32' | 'float64' = 'float64'): Field[] {
  return ['min_lon', 'min_lat', 'max_lon', 'max_lat'].map((n) => new Field(n, type === 'float32' ? new Float32() : new Float64(), true));
}

/**
 * `images`: one row per catalogued scene (DESIGN.md). Bounding box columns are plain
 * floats so LanceDB can prefilter by area with scalar indexes; the exact footprint is
 * a GeoJSON string. Explicit schemas (not inferred) because a first row with nulls
 * would otherwise fix a wrong column type.
 */
export const imagesSchema = new Schema([
  str('image_id', false),
  str('uri', false),
  new Field('file_size', new Int64(), true),
  str('fingerprint'),
  i32('width'),
  i32('height'),
  i32('bands'),
  str('dtype'),
  str('crs'),
  str('crs_proj4'),
  new Field('geotransform', new List(new Field('item', new Float64(), true)), true),
  str('footprint'),
  ...geoColumns(),
  f64('gsd_m'),
  time('acquired_at'),
  str('sensor'),
  f64('off_nadir_deg'),
  f64('sun_elevation_deg'),
  f64('sun_azimuth_deg'),
  f64('nodata'),
  i32('levels'),
  str('stretch'),
  str('title'),
  str('metadata'),
  str('status', false),
  time('added_at'),
]);

/** Every table geoscout stores, by name. Later modules add theirs here. */
export const TABLE_SCHEMAS = { images: imagesSchema } as const;

/** A table name. */
export type TableName = keyof typeof TABLE_SCHEMAS;
