import { GeoscoutError } from '../../core/errors.js';
import type { BBox } from '../raster/georef.js';
import { sqlString } from './store.js';

/**
 * The filters the images table and every tiles table share (same column names: WGS84
 * min/max lon/lat, acquired_at, sensor, gsd_m, image_id), so one builder serves both.
 */
export interface GeoTimeFilter {
  /** WGS84 [minLon, minLat, maxLon, maxLat]: rows whose bounding box intersects it. */
  bbox?: BBox;
  /** Acquired at or after / at or before (rows without a time are excluded when set). */
  from?: Date;
  to?: Date;
  sensors?: string[];
  /** [min, max] metres. */
  gsdRange?: [number, number];
  imageIds?: string[];
}

/**
 * Throws INVALID_INPUT, saying what to send, unless `b` is a WGS84 [minLon, minLat, maxLon,
 * maxLat] box: finite, latitudes within ±90, min ≤ max, not across the antimeridian.
 */
export function validateBbox(b: readonly number[]): asserts b is BBox {
  const [w, s, e, n] = b;
  if (b.length !== 4 || ![w, s, e, n].every((v) => typeof v === 'number' && Number.isFinite(v)) || s! > n! || s! < -90 || n! > 90 || w! < -180 || e! > 180) {
    throw new GeoscoutError('INVALID_INPUT', `bbox ${JSON.stringify(b)} must be [minLon, minLat, maxLon, maxLat] in degrees (longitudes within ±180, latitudes within ±90) with minLat ≤ maxLat.`);
  }
  if (w! > e!) {
    throw new GeoscoutError('INVALID_INPUT', `bbox ${JSON.stringify(b)} crosses the antimeridian (minLon > maxLon); split it into [${w}, ${s}, 180, ${n}] and [-180, ${s}, ${e}, ${n}] and ask for both.`);
  }
}

/** Whether the filter narrows the rows at all (an area, a time, sensors, a GSD range, images). */
export function isRestrictive(f: GeoTimeFilter): boolean {
  return !!(f.bbox || f.from || f.to || f.sensors?.length || f.gsdRange || f.imageIds?.length);
}

/**
 * A LanceDB `where` clause: the given clauses plus the filter's conditions, ANDed. Strings are
 * escaped (sqlString), numbers checked finite, the box and time range validated first.
 */
export function filterWhere(f: GeoTimeFilter, clauses: string[] = []): string {
  const parts = [...clauses];
  if (f.bbox) {
    validateBbox(f.bbox);
    const [w, s, e, n] = f.bbox;
    parts.push(`max_lon >= ${w} AND min_lon <= ${e} AND max_lat >= ${s} AND min_lat <= ${n}`);
  }
  if (f.from && f.to && f.from > f.to) throw new GeoscoutError('INVALID_INPUT', `from (${f.from.toISOString()}) is after to (${f.to.toISOString()}); swap them.`);
  if (f.from) parts.push(`acquired_at >= timestamp ${sqlString(f.from.toISOString())}`);
  if (f.to) parts.push(`acquired_at <= timestamp ${sqlString(f.to.toISOString())}`);
  if (f.sensors?.length) parts.push(`sensor IN (${f.sensors.map(sqlString).join(', ')})`);
  if (f.gsdRange) {
    const [lo, hi] = f.gsdRange.map(Number) as [number, number];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new GeoscoutError('INVALID_INPUT', `gsd_range ${JSON.stringify(f.gsdRange)} must be [min, max] metres with min ≤ max.`);
    parts.push(`gsd_m >= ${lo} AND gsd_m <= ${hi}`);
  }
  if (f.imageIds?.length) parts.push(`image_id IN (${f.imageIds.map(sqlString).join(', ')})`);
  return parts.join(' AND ');
}
