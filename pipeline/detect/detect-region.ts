import { z } from 'zod';
import { createHash } from 'node:crypto';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import { getImage, listImages, type ImageRecord } from '../catalog/catalog.js';
import { openCatalogImage } from '../catalog/open-image.js';
import { windowOfRing } from '../catalog/region-window.js';
import type { Store } from '../index/store.js';
import { validateBbox } from '../index/where.js';
import type { ClipEncoder } from '../models/encoder.js';
import { upsertDetections, type DetectionRow } from './detections-table.js';
import { bboxOf, bboxPolygon, GeoJsonPolygonSchema, PixelWindowSchema, type BBox, type Georef, type GeoJsonPolygon, type PixelWindow } from '../raster/georef.js';
import type { Stretch } from '../raster/stretch.js';
import { detectWithHead } from './detect-head.js';
import { detectInWindow, nms, type DetectWindowOptions, type RawDetection } from './detect-window.js';
import { tileGate, type GateOptions } from './tile-gate.js';
import { routeQueries, type ClassHeadUse } from './route-queries.js';
import { isPrototypeQuery, prepareQueries, type DetectQuery, type PreparedQuery } from './scorer.js';

/** Where to look: an image (whole, or a pixel window), or a WGS84 area over every intersecting image. */
export interface RegionSpec {
  imageId?: string;
  window?: PixelWindow;
  bbox?: BBox;
  polygon?: GeoJsonPolygon;
}

/** One detection as tools return it: GeoJSON Feature (WGS84 polygon) with citation properties. */
export const DetectionFeatureSchema = z.object({
  type: z.literal('Feature'),
  geometry: GeoJsonPolygonSchema.nullable(),
  properties: z.object({
    detection_id: z.string().describe('id for feedback (add_prototype examples/negatives)'),
    query: z.string(),
    score: z.number(),
    image_id: z.string(),
    pixel_box: PixelWindowSchema,
    lon: z.number().nullable(),
    lat: z.number().nullable(),
    acquired_at: z.string().nullable(),
    sensor: z.string().nullable(),
    gsd_m: z.number().nullable(),
    model_version: z.string(),
  }),
});
/** One detection as tools return it. */
export type DetectionFeature = z.infer<typeof DetectionFeatureSchema>;

/**
 * Default score threshold, on the calibrated scale (a text detection's score is the chance
 * it is right: scorer.ts, TEXT_CALIBRATION). Chosen by F1 on tuning scenes (seeds
 * 43001–43002, not the benchmark's) with objectness 1.2.0, box voting and the detection
 * logit scales: at 0.6 (raw 0.15) F1 is ship 0.73, aircraft 0.87, vehicle 0.87 (raw 0.12:
 * 0.71 / 0.72 / 0.88; raw 0.2: 0.64 / 0.81 / 0.82); on 43001–43004 the same optimum.
 */
export const TEXT_DEFAULT_THRESHOLD = 0.6;

/**
 * Default threshold of a prototype query without a stored one: its probe (or fused-vector
 * softmax) × nearest-example factor × objectness is not Platt-calibrated like text; 0.3 is
 * the default it was measured at (bench:detect-quality, turbine rows).
 */
export const PROTOTYPE_DEFAULT_THRESHOLD = 0.3;

/** Options of {@link detectInRegion}. */
export interface DetectRegionOptions extends Pick<DetectWindowOptions, 'signal' | 'onProgress' | 'timings' | 'chunk' | 'proposer'> {
  /** For every query without a stored threshold; default per kind (text / prototype). */
  threshold?: number;
  maxDetections: number;
  /** Pixels over all images of one call (default 16384²). */
  maxRegionPixels?: number;
  /**
   * Resolves a prototype name to its query (vector, probe, head). Prototypes are built on top
   * of detection, so the caller (the tool) passes this in and detect never imports them.
   */
  prototypes?: (name: string) => Promise<DetectQuery>;
  /**
   * Search every pixel. Default: text queries look only where the image's stored tiles may
   * hold them (tile-gate.ts), plus a random sample of the rest; a call with a prototype query,
   * and an image never ingested, are searched in full.
   */
  exhaustive?: boolean;
  gate?: GateOptions;
}

/** How much of the region a call searched. */
export const SearchedAreaSchema = z
  .object({
    mode: z.enum(['gated', 'exhaustive']),
    coverage: z.number().describe('share of the region searched with object proposals'),
    tiles: z.object({ total: z.number(), kept: z.number(), sampled: z.number() }).describe('stored tiles of the region; kept: may hold a query; sampled: searched at random as a recall guard'),
    class_heads: z
      .array(z.object({ query: z.string(), class: z.string(), image_id: z.string(), domain_score: z.number() }))
      .optional()
      .describe('text queries answered by a shipped class head instead of the encoder, on images unlike the encoder\'s training world (domain_score below its threshold): its pixel features transfer to real imagery, the encoder\'s text does not'),
  })
  .describe('gated: only where the stored tiles may hold the query (images never ingested are searched in full); exhaustive: every pixel (exhaustive: true, or no stored tiles)');
/** How much of the region a call searched. */
export type SearchedArea = z.infer<typeof SearchedAreaSchema>;

/**
 * Detects text and/or prototype queries in a region and stores the detections (so they
 * can be confirmed or rejected later). Text queries are open-vocabulary; prototypes use
 * their fused vector (and probe). Returns features sorted by score and per-query counts.
 */
export async function detectInRegion(
  store: Store,
  enc: ClipEncoder,
  region: RegionSpec,
  queries: { text?: string; prototype?: string }[],
  opts: DetectRegionOptions,
): Promise<{ features: DetectionFeature[]; counts: Record<string, number>; images: string[]; pixels: number; searched: SearchedArea }> {
  if (!queries.length) throw new GeoscoutError('INVALID_INPUT', 'Give at least one query: {"text": "aircraft"} or {"prototype": "<name>"}.');
  const dq: DetectQuery[] = [];
  for (const q of queries) {
    if (q.prototype) {
      if (!opts.prototypes) throw new GeoscoutError('UNSUPPORTED', `Prototype "${q.prototype}" cannot be used here: this caller does not resolve prototypes. Use detect_in_region.`);
      dq.push(await opts.prototypes(q.prototype));
    }
    else if (q.text?.trim()) dq.push({ label: q.text.trim(), text: q.text.trim() });
    else throw new GeoscoutError('INVALID_INPUT', 'A query is empty: give {"text": "what to find"} or {"prototype": "<name>"}.');
  }
  // A prototype's checked threshold, and a window head's own, are defaults the call may
  // override; a query's fixed threshold is not.
  const prepared = (await prepareQueries(enc, dq, opts.signal)).map((q) => (q.threshold != null && !q.head ? q : { ...q, threshold: opts.threshold ?? q.defaultThreshold ?? q.head?.threshold ?? (isPrototypeQuery(q) ? PROTOTYPE_DEFAULT_THRESHOLD : TEXT_DEFAULT_THRESHOLD) }));
  const allScored = prepared.filter((q) => !q.head), allHeaded = prepared.filter((q) => q.head);
  const targets = await regionTargets(store, region);
  const pixels = targets.reduce((s, t) => s + t.window.width * t.window.height, 0);
  const max = opts.maxRegionPixels ?? 16384 * 16384;
  if (pixels > max) {
    throw new GeoscoutError('LIMIT_EXCEEDED', `The region covers ${(pixels / 1e6).toFixed(0)} Mpx over ${targets.length} image(s); the limit per call is ${(max / 1e6).toFixed(0)} Mpx (e.g. 16384² px, ≈ 8 km square at 0.5 m). Narrow the bbox or the window, or pass one image_id.`);
  }
  const features: DetectionFeature[] = [];
  const rows: DetectionRow[] = [];
  let done = 0;
  const searched: SearchedArea = { mode: opts.exhaustive ? 'exhaustive' : 'gated', coverage: 0, tiles: { total: 0, kept: 0, sampled: 0 } };
  const classHeads: ClassHeadUse[] = [];
  for (const { rec, window, inside } of targets) {
    throwIfAborted(opts.signal);
    // On imagery the encoder does not know, class heads answer the text queries naming their class.
    const route = await routeQueries(store, enc, rec.image_id, allScored, allHeaded, opts.threshold);
    const { scored, headed } = route;
    classHeads.push(...route.uses);
    // Text queries have a calibrated tile threshold; a prototype's tile scores do not yet (its
    // vector is made of crops, not tiles), so a call with one searches every pixel.
    const gateQueries = scored.some(isPrototypeQuery) ? [] : scored;
    const gate = opts.exhaustive || !gateQueries.length ? null : await tileGate(store, enc, rec.image_id, window, gateQueries, opts.gate);
    if (gate) for (const k of ['total', 'kept', 'sampled'] as const) searched.tiles[k] += gate.tiles[k];
    searched.coverage += (gate ? gate.coverage : 1) * window.width * window.height;
    const raster = await openCatalogImage(rec, opts.signal);
    try {
      const dets: RawDetection[] = [];
      // Queries share one proposal run per chunk, except prototypes whose check chose other proposal weights.
      for (const group of byProposalWeights(scored)) {
        dets.push(...(await detectInWindow(raster, rec.gsd_m, window, group.queries, enc, {
          ...(gate ? { areas: { perQuery: group.index.map((i) => gate.areas[i]!), smallSide: gate.smallSide } } : {}),
          ...(group.weights ? { weights: group.weights } : {}),
          stretch: rec.stretch as Stretch,
          threshold: opts.threshold ?? TEXT_DEFAULT_THRESHOLD,
          maxRegionPixels: max,
          ...(opts.chunk ? { chunk: opts.chunk } : {}),
          ...(opts.proposer ? { proposer: opts.proposer } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.timings ? { timings: opts.timings } : {}),
          onProgress: (d, t, m) => opts.onProgress?.(done + (d / t) * window.width * window.height, pixels, `${rec.image_id}: ${m ?? ''}`),
        })));
      }
      for (const q of headed) {
        dets.push(...(await detectWithHead({ raster, gsdM: rec.gsd_m, stretch: rec.stretch as Stretch }, window, q, enc, { threshold: q.threshold!, max: opts.maxDetections, ...(opts.proposer ? { proposer: opts.proposer } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })));
      }
      for (const d of dets) {
        const f = toFeature(rec, raster.georef, d.label, d.score, d.box, enc.modelVersion);
        if (inside && !inside(f.properties.lon, f.properties.lat)) continue;
        features.push(f);
        rows.push(toRow(f, d.vector));
      }
    } finally {
      await raster.close();
    }
    done += window.width * window.height;
  }
  const kept = nms(features.map((f) => ({ f, label: f.properties.query + '|' + f.properties.image_id, score: f.properties.score, box: f.properties.pixel_box })), 0.4)
    .slice(0, opts.maxDetections)
    .map((k) => k.f);
  const ids = new Set(kept.map((f) => f.properties.detection_id));
  await upsertDetections(store, rows.filter((r) => ids.has(r.detection_id)));
  const counts: Record<string, number> = Object.fromEntries(prepared.map((q) => [q.label, 0]));
  for (const f of kept) counts[f.properties.query] = (counts[f.properties.query] ?? 0) + 1;
  searched.coverage = pixels ? Math.round((searched.coverage / pixels) * 1000) / 1000 : 0;
  if (!searched.tiles.total) searched.mode = 'exhaustive';
  if (classHeads.length) searched.class_heads = classHeads;
  return { features: kept, counts, images: targets.map((t) => t.rec.image_id), pixels, searched };
}

interface Target {
  rec: ImageRecord;
  window: PixelWindow;
  /** For polygon regions: keeps detections whose centre is inside. */
  inside?: (lon: number | null, lat: number | null) => boolean;
}

/** Images and pixel windows a region covers. */
async function regionTargets(store: Store, region: RegionSpec): Promise<Target[]> {
  if (region.window) {
    if (!region.imageId) throw new GeoscoutError('INVALID_INPUT', 'A pixel window needs an image_id.');
    const rec = await getImage(store, region.imageId);
    const w = region.window;
    if (w.width <= 0 || w.height <= 0 || w.x < 0 || w.y < 0 || w.x + w.width > rec.width || w.y + w.height > rec.height) {
      throw new GeoscoutError('OUT_OF_BOUNDS', `Window ${w.x},${w.y} ${w.width}×${w.height} is outside image ${rec.image_id} (${rec.width}×${rec.height} px).`);
    }
    return [{ rec, window: w }];
  }
  const poly = region.polygon ?? (region.bbox ? bboxPolygon(region.bbox) : null);
  if (!poly) {
    if (!region.imageId) throw new GeoscoutError('INVALID_INPUT', 'Say where to look: an image_id (whole image or with a pixel window), a WGS84 bbox or a polygon.');
    const rec = await getImage(store, region.imageId);
    return [{ rec, window: { x: 0, y: 0, width: rec.width, height: rec.height } }];
  }
  const ring = poly.coordinates[0]!;
  const bbox = bboxOf(poly);
  validateBbox(bbox);
  const recs = region.imageId ? [await getImage(store, region.imageId)] : await listImages(store, { bbox });
  const out: Target[] = [];
  for (const rec of recs) {
    const win = await windowOfRing(rec, ring);
    if (win) out.push({ rec, window: win, ...(region.polygon ? { inside: (lon, lat) => lon != null && lat != null && pointInRing(lon, lat, ring) } : {}) });
  }
  if (!out.length) {
    throw new GeoscoutError('OUT_OF_BOUNDS', region.imageId ? `The region does not overlap image ${region.imageId}: check the bbox (lon/lat order) against the image footprint (list_images).` : 'No catalogued image covers the region: check the bbox (lon/lat order) or add imagery.');
  }
  return out;
}

function pointInRing(x: number, y: number, ring: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!, [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function toFeature(rec: ImageRecord, g: Georef | null, label: string, score: number, b: PixelWindow, modelVersion: string): DetectionFeature {
  const box = { x: Math.round(b.x), y: Math.round(b.y), width: Math.max(1, Math.round(b.width)), height: Math.max(1, Math.round(b.height)) };
  const centre = g ? g.pixelToLonLat(box.x + box.width / 2, box.y + box.height / 2) : null;
  const id = 'det_' + createHash('sha256').update(`${rec.image_id}|${modelVersion}|${label}|${box.x},${box.y},${box.width},${box.height}`).digest('hex').slice(0, 16);
  return {
    type: 'Feature',
    geometry: g ? g.footprint(box, 1) : null,
    properties: {
      detection_id: id, query: label, score: Math.round(score * 1e4) / 1e4, image_id: rec.image_id, pixel_box: box,
      lon: centre ? round6(centre[0]) : null, lat: centre ? round6(centre[1]) : null,
      acquired_at: rec.acquired_at, sensor: rec.sensor, gsd_m: rec.gsd_m, model_version: modelVersion,
    },
  };
}

function toRow(f: DetectionFeature, vector: Float32Array): DetectionRow {
  const p = f.properties;
  return {
    detection_id: p.detection_id, image_id: p.image_id, query: p.query, prototype: p.query.startsWith('prototype:') ? p.query.slice(10) : null,
    score: p.score, ...p.pixel_box, lon: p.lon, lat: p.lat, model_version: p.model_version, feedback: null, vector: Array.from(vector), created_at: new Date().toISOString(),
  };
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Scored queries grouped by the proposal weights they ask for (with their indices among `queries`). */
function byProposalWeights(queries: PreparedQuery[]): { weights: string | undefined; queries: PreparedQuery[]; index: number[] }[] {
  const groups = new Map<string, { weights: string | undefined; queries: PreparedQuery[]; index: number[] }>();
  for (const [i, q] of queries.entries()) {
    const key = q.proposalWeights ?? '';
    const g = groups.get(key) ?? { weights: q.proposalWeights, queries: [], index: [] };
    g.queries.push(q);
    g.index.push(i);
    groups.set(key, g);
  }
  return [...groups.values()];
}
