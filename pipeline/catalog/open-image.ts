import { GeoscoutError } from '../../core/errors.js';
import { parseCrs, type CrsInfo } from '../raster/crs.js';
import { Georef, type GeoTransform } from '../raster/georef.js';
import { openRaster, type Raster } from '../raster/raster.js';
import type { ImageRecord } from './catalog.js';
import { fingerprintFile } from './fingerprint.js';

/**
 * Opens a catalogued image with the CRS the catalog resolved for it (which may come
 * from a sidecar or STAC `proj:epsg` for files whose GeoKeys geoscout cannot read), so
 * every reader of a catalogued image sees the same georeferencing as `images add` did.
 * When the record carries a fingerprint, the file must still have it: a file replaced at
 * the same path would otherwise be read under the old id (new pixels, old vectors).
 */
export async function openCatalogImage(rec: Pick<ImageRecord, 'uri' | 'crs' | 'crs_proj4'> & Partial<Pick<ImageRecord, 'image_id' | 'fingerprint'>>, signal?: AbortSignal): Promise<Raster> {
  if (rec.fingerprint && !/^https?:\/\//i.test(rec.uri)) {
    const now = await fingerprintFile(rec.uri).catch(() => null);
    if (now !== null && now !== rec.fingerprint) {
      throw new GeoscoutError('CONFLICT', `${rec.uri} changed since it was catalogued as ${rec.image_id ?? 'this image'}: its stored vectors describe the old pixels. Run \`geoscout images add ${rec.uri}\` (the new content gets a new id and the old row is marked stale), then ingest the new id.`, { details: { image_id: rec.image_id, path: rec.uri } });
    }
  }
  const crs = recordCrs(rec);
  return openRaster(rec.uri, { ...(crs ? { crsOverride: crs } : {}), ...(signal ? { signal } : {}) });
}

/** The CRS a catalogued image was recorded with (its EPSG code, else its proj4 text). */
export function recordCrs(rec: Pick<ImageRecord, 'crs' | 'crs_proj4'>): CrsInfo | undefined {
  return rec.crs ? parseCrs(rec.crs.startsWith('EPSG:') ? rec.crs : rec.crs_proj4 ?? rec.crs) : undefined;
}

/**
 * The georeferencing of a catalogued image from its row (geotransform and CRS), without
 * opening the file; null for pixel-only images. The same Georef the raster would give, so
 * tile footprints derived from it match those stored by older tables.
 */
export function recordGeoref(rec: Pick<ImageRecord, 'crs' | 'crs_proj4' | 'geotransform'>): Georef | null {
  const crs = recordCrs(rec);
  return rec.geotransform && rec.geotransform.length === 6 && crs ? new Georef(rec.geotransform as GeoTransform, crs) : null;
}
