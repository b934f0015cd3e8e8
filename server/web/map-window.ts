import { GeoscoutError } from '../../core/errors.js';
import type { Store } from '../../pipeline/index/store.js';
import { listImages } from '../../pipeline/catalog/catalog.js';
import { windowOfRing } from '../../pipeline/catalog/region-window.js';
import { validateBbox } from '../../pipeline/index/where.js';
import { bboxPolygon, type BBox, type PixelWindow } from '../../pipeline/raster/georef.js';

/**
 * The pixel window of the finest catalogued scene under a box drawn on the map (WGS84), so
 * the box can be an example chip for search_tiles or add_prototype ({image_id, x, y, width,
 * height}). NOT_FOUND when no scene covers the box's centre.
 */
export async function windowUnderBox(store: Store, bbox: BBox): Promise<{ image_id: string } & PixelWindow> {
  validateBbox(bbox);
  const cx = (bbox[0] + bbox[2]) / 2, cy = (bbox[1] + bbox[3]) / 2;
  const recs = (await listImages(store, { bbox: [cx, cy, cx, cy] })).sort((a, b) => (a.gsd_m ?? Infinity) - (b.gsd_m ?? Infinity));
  const ring = bboxPolygon(bbox).coordinates[0]!;
  for (const rec of recs) {
    const win = await windowOfRing(rec, ring, 4);
    if (win) return { image_id: rec.image_id, ...win };
  }
  throw new GeoscoutError('NOT_FOUND', 'No catalogued scene lies under the box: draw it on a scene (its footprint is outlined in blue).');
}
