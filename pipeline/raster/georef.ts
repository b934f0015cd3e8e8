import { z } from 'zod';
import type { CrsInfo, CrsTransform } from './crs.js';
import { wgs84Transform } from './crs.js';

/** GDAL-order affine: [originX, pixelWidth, rowRotation, originY, columnRotation, pixelHeight]. */
export type GeoTransform = [number, number, number, number, number, number];

// The geometry shapes as zod schemas, so tool schemas compose them and the types follow (z.infer).

/** A pixel window: left/top in pixels of the full-resolution image, size in pixels. */
export const PixelWindowSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
/** A pixel window: left/top in pixels of the full-resolution image, size in pixels. */
export type PixelWindow = z.infer<typeof PixelWindowSchema>;

/** A pixel window given by a caller: whole pixels inside the image, non-empty. */
export const PixelWindowInputSchema = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().positive(), height: z.number().int().positive() }).strict();

/** A GeoJSON polygon in WGS84, lon/lat order (RFC 7946). */
export const GeoJsonPolygonSchema = z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(z.tuple([z.number(), z.number()]))) });
/** A GeoJSON polygon in WGS84, lon/lat order (RFC 7946). */
export type GeoJsonPolygon = z.infer<typeof GeoJsonPolygonSchema>;

/** [minLon, minLat, maxLon, maxLat]. */
export const BBoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]).describe('WGS84 [minLon, minLat, maxLon, maxLat]');
/** [minLon, minLat, maxLon, maxLat]. */
export type BBox = z.infer<typeof BBoxSchema>;

/** Maps image pixels (x right, y down; 0,0 = top-left corner of the first pixel) to CRS and WGS84. */
export class Georef {
  readonly gt: GeoTransform;
  readonly crs: CrsInfo;
  private readonly tf: CrsTransform;
  private readonly inv: GeoTransform;

  constructor(gt: GeoTransform, crs: CrsInfo) {
    this.gt = gt;
    this.crs = crs;
    this.tf = wgs84Transform(crs);
    this.inv = invertGeoTransform(gt);
  }

  /** CRS coordinates of pixel position (px, py); use +0.5 for pixel centres. */
  pixelToCrs(px: number, py: number): [number, number] {
    const g = this.gt;
    return [g[0] + px * g[1] + py * g[2], g[3] + px * g[4] + py * g[5]];
  }

  /** Pixel position of CRS coordinates. */
  crsToPixel(x: number, y: number): [number, number] {
    const g = this.inv;
    return [g[0] + x * g[1] + y * g[2], g[3] + x * g[4] + y * g[5]];
  }

  /** WGS84 [lon, lat] of pixel position (px, py). */
  pixelToLonLat(px: number, py: number): [number, number] {
    const [x, y] = this.pixelToCrs(px, py);
    return this.tf.toWgs84(x, y);
  }

  /** Pixel position of WGS84 lon/lat. */
  lonLatToPixel(lon: number, lat: number): [number, number] {
    const [x, y] = this.tf.fromWgs84(lon, lat);
    return this.crsToPixel(x, y);
  }

  /**
   * Footprint of a pixel window as a WGS84 polygon. Edges are densified (`perEdge`
   * points each) because a straight edge in UTM is slightly curved in lon/lat.
   */
  footprint(win: PixelWindow, perEdge = 4): GeoJsonPolygon {
    const { x, y, width: w, height: h } = win;
    const corners: [number, number][] = [[x, y], [x, y + h], [x + w, y + h], [x + w, y]];
    const ring: [number, number][] = [];
    for (let c = 0; c < 4; c++) {
      const [ax, ay] = corners[c]!;
      const [bx, by] = corners[(c + 1) % 4]!;
      for (let i = 0; i < perEdge; i++) {
        const t = i / perEdge;
        ring.push(roundLonLat(this.pixelToLonLat(ax + (bx - ax) * t, ay + (by - ay) * t)));
      }
    }
    ring.push(ring[0]!);
    // Pixel order (top-left, bottom-left, bottom-right, top-right) is counter-clockwise on
    // a north-up map, as RFC 7946 wants for exterior rings; flip if the transform mirrors.
    if (signedArea(ring) < 0) ring.reverse();
    return { type: 'Polygon', coordinates: [ring] };
  }

  /** Ground sample distance in metres at the image point (px, py), measured geodesically. */
  gsdMeters(px: number, py: number): number {
    const a = this.pixelToLonLat(px, py);
    const b = this.pixelToLonLat(px + 1, py);
    const c = this.pixelToLonLat(px, py + 1);
    return (haversineM(a, b) + haversineM(a, c)) / 2;
  }
}

/** Bounding box of a polygon's rings. */
export function bboxOf(poly: GeoJsonPolygon): BBox {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [lon, lat] of poly.coordinates.flat()) {
    minX = Math.min(minX, lon); maxX = Math.max(maxX, lon);
    minY = Math.min(minY, lat); maxY = Math.max(maxY, lat);
  }
  return [minX, minY, maxX, maxY];
}

/** A WGS84 box as a GeoJSON polygon (counter-clockwise ring). */
export function bboxPolygon(b: BBox): GeoJsonPolygon {
  return { type: 'Polygon', coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] };
}

/** The overlap of two pixel windows; its width or height is ≤ 0 when they do not overlap. */
export function intersectWindows(a: PixelWindow, b: PixelWindow): PixelWindow {
  const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
  return { x: x0, y: y0, width: Math.min(a.x + a.width, b.x + b.width) - x0, height: Math.min(a.y + a.height, b.y + b.height) - y0 };
}

/** The smallest window holding every window given (a loop: thousands of parts would overflow a spread). */
export function windowBounds(ws: PixelWindow[]): PixelWindow {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const w of ws) {
    x0 = Math.min(x0, w.x); y0 = Math.min(y0, w.y);
    x1 = Math.max(x1, w.x + w.width); y1 = Math.max(y1, w.y + w.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** A window cut to an image of `W` × `H` pixels. */
function clampWindow(w: PixelWindow, W: number, H: number): PixelWindow {
  const x = Math.max(0, w.x), y = Math.max(0, w.y);
  return { x, y, width: Math.min(W, w.x + w.width) - x, height: Math.min(H, w.y + w.height) - y };
}

/** The window grown by `m` pixels on every side, cut to an image of `W` × `H` pixels (a read with context). */
export function padWindow(w: PixelWindow, m: number, W: number, H: number): PixelWindow {
  return clampWindow({ x: w.x - m, y: w.y - m, width: w.width + 2 * m, height: w.height + 2 * m }, W, H);
}

/** Whether the point lies in the window ([x, x + width) × [y, y + height)). */
export function containsPoint(w: PixelWindow, x: number, y: number): boolean {
  return x >= w.x && x < w.x + w.width && y >= w.y && y < w.y + w.height;
}

/** A box clipped to a window, kept at least one pixel wide and high (a box reported inside its tile). */
export function clipBoxTo(b: PixelWindow, w: PixelWindow): PixelWindow {
  const i = intersectWindows(b, w);
  return { ...i, width: Math.max(1, i.width), height: Math.max(1, i.height) };
}

/** Great-circle distance in metres between two lon/lat points. */
export function haversineM(a: [number, number], b: [number, number]): number {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Inverse of an affine geotransform; throws on a degenerate one. */
export function invertGeoTransform(g: GeoTransform): GeoTransform {
  const det = g[1] * g[5] - g[2] * g[4];
  if (det === 0) throw new Error('degenerate geotransform (zero pixel size)');
  const i1 = g[5] / det, i2 = -g[2] / det, i4 = -g[4] / det, i5 = g[1] / det;
  return [-g[0] * i1 - g[3] * i2, i1, i2, -g[0] * i4 - g[3] * i5, i4, i5];
}

function signedArea(ring: [number, number][]): number {
  let s = 0;
  for (let i = 0; i < ring.length - 1; i++) s += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return s / 2;
}

function roundLonLat([lon, lat]: [number, number]): [number, number] {
  // 1e-9 degrees is ~0.1 mm: far below any pixel, keeps JSON small.
  return [Math.round(lon * 1e9) / 1e9, Math.round(lat * 1e9) / 1e9];
}
