import type { PixelWindow } from '../raster/georef.js';
import type { ImageRecord } from './catalog.js';
import { openCatalogImage } from './open-image.js';

/**
 * The pixel window of a catalogued image covering a WGS84 lon/lat ring (edges densified, as a
 * straight lon/lat edge bends in the image's CRS; clamped to the image), or null when they
 * overlap by less than `minSide` pixels either way or the image has no georeferencing.
 */
export async function windowOfRing(rec: ImageRecord, ring: [number, number][], minSide = 16): Promise<PixelWindow | null> {
  if (!rec.geotransform) return null;
  const r = await openCatalogImage(rec);
  try {
    const g = r.georef!;
    const pts: [number, number][] = [];
    for (let i = 0; i < ring.length - 1 || i === 0; i++) {
      const a = ring[i]!, b = ring[(i + 1) % ring.length]!;
      for (let k = 0; k < 8; k++) pts.push(g.lonLatToPixel(a[0] + ((b[0] - a[0]) * k) / 8, a[1] + ((b[1] - a[1]) * k) / 8));
    }
    // Loops, not Math.min(...pts): a polygon of 10⁴ vertices gives more points than a call takes arguments.
    let [mx0, my0, mx1, my1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of pts) [mx0, my0, mx1, my1] = [Math.min(mx0, x), Math.min(my0, y), Math.max(mx1, x), Math.max(my1, y)];
    const x0 = Math.max(0, Math.floor(mx0)), y0 = Math.max(0, Math.floor(my0));
    const x1 = Math.min(rec.width, Math.ceil(mx1)), y1 = Math.min(rec.height, Math.ceil(my1));
    return x1 - x0 >= minSide && y1 - y0 >= minSide ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
  } finally {
    await r.close();
  }
}
