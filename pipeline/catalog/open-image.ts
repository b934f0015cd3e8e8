import { GeoscoutError } from '../../core/errors.js';
import { parseCrs } from '../raster/crs.js';
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
  const crs = rec.crs ? parseCrs(rec.crs.startsWith('EPSG:') ? rec.crs : rec.crs_proj4 ?? rec.crs) : undefined;
  return openRaster(rec.uri, { ...(crs ? { crsOverride: crs } : {}), ...(signal ? { signal } : {}) });
}
