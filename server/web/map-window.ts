import { GeoscoutError } from '../../core/errors.js';
import type { Store } from '../../pipeline/index/store.js';
import { listImages } from '../../pipeline/catalog/catalog.js';
import { openCatalogImage } from '../../pipeline/catalog/open-image.js';
import { validateBbox } from '../../pipeline/index/where.js';
import type { BBox, PixelWindow } from '../../pipeline/raster/georef.js';

/**
 * The pixel window of the finest catalogued scene under a box drawn on the map (WGS84), so
 * the box can be an example chip for search_tiles or add_prototype ({image_id, x, y, width,
 * height}). NOT_FOUND when no scene covers the box's centre.
 */
export async function windowUnderBox(store: Store, bbox: BBox): Promise<{ image_id: string } & PixelWindow> {
  validateBbox(bbox);
  const [x0, y0, x1, y1] = bbox;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const recs = (await listImages(store, { bbox: [cx, cy, cx, cy] })).filter((r) => r.geotransform).sort((a, b) => (a.gsd_m ?? Infinity) - (b.gsd_m ?? Infinity));
  for (const rec of recs) {
    const r = await openCatalogImage(rec);
    try {
      const corners = [[x0, y0], [x0, y1], [x1, y0], [x1, y1]].map(([lon, lat]) => r.georef!.lonLatToPixel(lon!, lat!));
      const px0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p[0])))), py0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p[1]))));
      const px1 = Math.min(rec.width, Math.ceil(Math.max(...corners.map((p) => p[0])))), py1 = Math.min(rec.height, Math.ceil(Math.max(...corners.map((p) => p[1]))));
      if (px1 - px0 >= 4 && py1 - py0 >= 4) return { image_id: rec.image_id, x: px0, y: py0, width: px1 - px0, height: py1 - py0 };
    } finally {
      await r.close();
    }
  }
  throw new GeoscoutError('NOT_FOUND', 'No catalogued scene lies under the box: draw it on a scene (its footprint is outlined in blue).');
}
