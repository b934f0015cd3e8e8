/** Web Mercator (EPSG:3857) XYZ tile math, as MapLibre and every slippy map number tiles. */

/** Highest zoom a map tile may be asked for: ~2 cm per pixel at the equator, below any sensor. */
export const MAX_ZOOM = 24;

/** WGS84 lon/lat of a fractional tile coordinate (tx, ty) at zoom z (tile corners at integers). */
export function tileToLonLat(tx: number, ty: number, z: number): [number, number] {
  const n = 2 ** z;
  const lon = (tx / n) * 360 - 180;
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * ty) / n))) * 180) / Math.PI;
  return [lon, lat];
}

/** The tile containing a lon/lat at zoom z. */
export function lonLatToTile(lon: number, lat: number, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return { x: Math.min(n - 1, Math.max(0, x)), y: Math.min(n - 1, Math.max(0, y)) };
}

/** True when z/x/y names a tile that exists. */
export function validTile(z: number, x: number, y: number): boolean {
  if (![z, x, y].every(Number.isInteger) || z < 0 || z > MAX_ZOOM) return false;
  const n = 2 ** z;
  return x >= 0 && x < n && y >= 0 && y < n;
}

/**
 * Image pixel positions of a regular (cells+1)² grid of control points over a tile (corners
 * included), through `toPixel` (lon/lat → image pixel). The renderer interpolates between
 * them: one projection per control point instead of one per output pixel, and within a
 * 256-px tile a UTM↔Mercator mapping bends by far less than a pixel between points 16 px apart.
 */
export function controlGrid(z: number, x: number, y: number, cells: number, toPixel: (lon: number, lat: number) => [number, number]): Float64Array {
  const g = new Float64Array((cells + 1) * (cells + 1) * 2);
  for (let j = 0; j <= cells; j++) {
    for (let i = 0; i <= cells; i++) {
      const [lon, lat] = tileToLonLat(x + i / cells, y + j / cells, z);
      const [px, py] = toPixel(lon, lat);
      const k = (j * (cells + 1) + i) * 2;
      g[k] = px;
      g[k + 1] = py;
    }
  }
  return g;
}
