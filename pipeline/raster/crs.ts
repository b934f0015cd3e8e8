import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import proj4 from 'proj4';
import { GeoscoutError } from '../../core/errors.js';

/** A coordinate reference system geoscout can transform to and from WGS84. */
export interface CrsInfo {
  /** EPSG code, or null for a CRS given only as a proj4 string. */
  epsg: number | null;
  name: string;
  proj4: string;
  /** True when coordinates are degrees (lon/lat) rather than projected units. */
  geographic: boolean;
}

const require = createRequire(import.meta.url);
const cache = new Map<number, CrsInfo>();

/**
 * Looks an EPSG code up in `epsg-index` (the full EPSG registry with proj4 strings),
 * one small JSON file per code, so we never load the 5 MB index. Throws UNSUPPORTED
 * with a way out when the code is unknown or has no proj4 form.
 */
export function crsFromEpsg(code: number): CrsInfo {
  const hit = cache.get(code);
  if (hit) return hit;
  let entry: { name?: string; proj4?: string; kind?: string } | undefined;
  try {
    const file = require.resolve(`epsg-index/s/${code}.json`);
    entry = JSON.parse(readFileSync(file, 'utf8')) as typeof entry;
  } catch {
    entry = undefined;
  }
  if (!entry?.proj4) {
    throw new GeoscoutError(
      'UNSUPPORTED',
      `Unknown CRS EPSG:${code}: geoscout has no definition for it. Reproject the image (e.g. gdalwarp -t_srs EPSG:4326) or give the CRS as a proj4 string in the image's metadata sidecar ("crs").`,
      { details: { epsg: code } },
    );
  }
  const info: CrsInfo = {
    epsg: code,
    name: entry.name ?? `EPSG:${code}`,
    proj4: entry.proj4,
    geographic: entry.proj4.includes('+proj=longlat'),
  };
  cache.set(code, info);
  return info;
}

/**
 * Parses a CRS string as users write it: "EPSG:32631", "32631", or a proj4 definition.
 */
export function parseCrs(text: string): CrsInfo {
  const t = text.trim();
  const m = /^(?:epsg:)?(\d{4,6})$/i.exec(t);
  if (m) return crsFromEpsg(Number(m[1]));
  if (t.startsWith('+proj=')) {
    try {
      proj4(t, 'EPSG:4326', [0, 0]);
    } catch (cause) {
      throw new GeoscoutError('UNSUPPORTED', `proj4 cannot use the CRS definition "${t}": ${(cause as Error).message}`, { cause });
    }
    return { epsg: null, name: t, proj4: t, geographic: t.includes('+proj=longlat') };
  }
  throw new GeoscoutError('INVALID_INPUT', `Cannot read CRS "${text}": write it as EPSG:<code> or a proj4 string starting with +proj=.`);
}

/** Forward/inverse transforms between a CRS and WGS84 lon/lat (degrees, lon first). */
export interface CrsTransform {
  toWgs84(x: number, y: number): [number, number];
  fromWgs84(lon: number, lat: number): [number, number];
}

/** Builds a transform with proj4; identity for WGS84 itself. */
export function wgs84Transform(crs: CrsInfo): CrsTransform {
  if (crs.epsg === 4326) {
    return { toWgs84: (x, y) => [x, y], fromWgs84: (lon, lat) => [lon, lat] };
  }
  const conv = proj4(crs.proj4, 'EPSG:4326');
  return {
    toWgs84: (x, y) => conv.forward([x, y]) as [number, number],
    fromWgs84: (lon, lat) => conv.inverse([lon, lat]) as [number, number],
  };
}

/** The UTM zone EPSG code (WGS84) covering a lon/lat. */
export function utmEpsgFor(lon: number, lat: number): number {
  const zone = Math.min(60, Math.max(1, Math.floor((lon + 180) / 6) + 1));
  return (lat >= 0 ? 32600 : 32700) + zone;
}
