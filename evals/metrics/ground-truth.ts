/**
 * Ground truth from the two formats geoscout and common tools write: a GeoJSON
 * FeatureCollection (the synthetic generator's `*.truth.geojson`: pixel_bbox and class
 * in properties, WGS84 polygons) and COCO detection json.
 */
import { readFile } from 'node:fs/promises';
import { GeoscoutError } from '../../core/errors.js';
import type { XYWH } from './boxes.js';
import type { GroundTruthBox } from './detection.js';

/** A truth object: pixel box when known, lon/lat centre when known, label. */
export interface TruthObject extends GroundTruthBox {
  lonLat?: [number, number];
  /** Extra labels (e.g. fine type besides class). */
  attributes?: Record<string, unknown>;
}

interface GeoJsonFeature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown } | null;
  properties?: Record<string, unknown> | null;
}

/**
 * Reads a GeoJSON FeatureCollection. `labelKey` picks the label property (default
 * `class`); the pixel box comes from `pixel_bbox` or `pixel_box` ([x,y,w,h] or {x,y,width,height}).
 */
export function truthFromGeoJson(fc: unknown, opts: { labelKey?: string; image?: string } = {}): TruthObject[] {
  const f = fc as { type?: string; features?: GeoJsonFeature[] };
  if (f?.type !== 'FeatureCollection' || !Array.isArray(f.features)) {
    throw new GeoscoutError('INVALID_INPUT', 'Ground truth must be a GeoJSON FeatureCollection ({"type":"FeatureCollection","features":[…]}).');
  }
  return f.features.map((feat) => {
    const p = feat.properties ?? {};
    const box = pixelBox(p.pixel_bbox ?? p.pixel_box);
    const lonLat = feat.geometry ? centroidOf(feat.geometry) : undefined;
    const label = p[opts.labelKey ?? 'class'];
    const image = opts.image ?? (typeof p.image_id === 'string' ? p.image_id : typeof p.image === 'string' ? p.image : undefined);
    return { bbox: box ?? [0, 0, 0, 0], ...(lonLat ? { lonLat } : {}), ...(label !== undefined ? { label: String(label) } : {}), ...(image ? { image } : {}), attributes: p };
  });
}

/** Reads COCO json: boxes with category names as labels (`supercategory` with `useSupercategory`). */
export function truthFromCoco(coco: unknown, opts: { useSupercategory?: boolean } = {}): TruthObject[] {
  const c = coco as { images?: { id: number; file_name?: string }[]; categories?: { id: number; name: string; supercategory?: string }[]; annotations?: { image_id: number; category_id: number; bbox: number[]; area?: number }[] };
  if (!Array.isArray(c?.annotations) || !Array.isArray(c?.categories)) {
    throw new GeoscoutError('INVALID_INPUT', 'COCO ground truth needs "annotations" and "categories" arrays.');
  }
  const cats = new Map(c.categories.map((k) => [k.id, opts.useSupercategory ? (k.supercategory ?? k.name) : k.name]));
  const files = new Map((c.images ?? []).map((i) => [i.id, i.file_name ?? String(i.id)]));
  return c.annotations.map((a) => ({
    bbox: a.bbox.slice(0, 4) as XYWH,
    label: cats.get(a.category_id) ?? String(a.category_id),
    image: files.get(a.image_id) ?? String(a.image_id),
    ...(a.area !== undefined ? { area: a.area } : {}),
  }));
}

/** Loads a truth file, picking the format from its content. */
export async function loadTruth(file: string): Promise<TruthObject[]> {
  const raw = JSON.parse(await readFile(file, 'utf8')) as { type?: string };
  return raw.type === 'FeatureCollection' ? truthFromGeoJson(raw) : truthFromCoco(raw);
}

function pixelBox(v: unknown): XYWH | undefined {
  if (Array.isArray(v) && v.length >= 4) return v.slice(0, 4).map(Number) as XYWH;
  if (v && typeof v === 'object') {
    const b = v as { x: number; y: number; width: number; height: number };
    if ([b.x, b.y, b.width, b.height].every((n) => typeof n === 'number')) return [b.x, b.y, b.width, b.height];
  }
  return undefined;
}

/** Centroid of a GeoJSON Point or (Multi)Polygon (vertex mean of the outer ring: fine for boxes). */
export function centroidOf(g: { type: string; coordinates: unknown }): [number, number] | undefined {
  if (g.type === 'Point') return g.coordinates as [number, number];
  const ring = g.type === 'Polygon' ? (g.coordinates as number[][][])[0] : g.type === 'MultiPolygon' ? (g.coordinates as number[][][][])[0]?.[0] : undefined;
  if (!ring?.length) return undefined;
  const pts = ring.length > 1 && ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1] ? ring.slice(0, -1) : ring;
  const lon = pts.reduce((s, p) => s + p[0]!, 0) / pts.length;
  const lat = pts.reduce((s, p) => s + p[1]!, 0) / pts.length;
  return [lon, lat];
}
