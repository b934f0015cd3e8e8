import { parseCrs } from '../raster/crs.js';
import { openRaster, type Raster } from '../raster/raster.js';
import type { ImageRecord } from './catalog.js';

/**
 * Opens a catalogued image with the CRS the catalog resolved for it (which may come
 * from a sidecar or STAC `proj:epsg` for files whose GeoKeys geoscout cannot read), so
 * every reader of a catalogued image sees the same georeferencing as `images add` did.
 */
export function openCatalogImage(rec: Pick<ImageRecord, 'uri' | 'crs' | 'crs_proj4'>, signal?: AbortSignal): Promise<Raster> {
  const crs = rec.crs ? parseCrs(rec.crs.startsWith('EPSG:') ? rec.crs : rec.crs_proj4 ?? rec.crs) : undefined;
  return openRaster(rec.uri, { ...(crs ? { crsOverride: crs } : {}), ...(signal ? { signal } : {}) });
}
