import { z } from 'zod';
import { DetectionFeatureSchema, detectInRegion, PROTOTYPE_DEFAULT_THRESHOLD, SearchedAreaSchema, TEXT_DEFAULT_THRESHOLD } from '../pipeline/detect/detect-region.js';
import { BBoxSchema, GeoJsonPolygonSchema, PixelWindowInputSchema } from '../pipeline/raster/georef.js';
import { prototypeQuery } from '../pipeline/prototypes/prototypes.js';
import { queryText } from './query-text.js';
import type { ToolDefinition } from './tool.js';

/** Default threshold of text queries (see detect-region.ts); prototypes default to {@link PROTOTYPE_DEFAULT_THRESHOLD}. */
export const DEFAULT_THRESHOLD = TEXT_DEFAULT_THRESHOLD;
export { PROTOTYPE_DEFAULT_THRESHOLD };

const QuerySchema = z.union([
  z.object({ text: queryText().describe('what to find, e.g. "aircraft", "container ship"') }).strict(),
  z.object({ prototype: z.string().min(1).describe('a prototype name (list_prototypes)') }).strict(),
]);

/** Input of detect_in_region. */
export const detectInRegionInput = z
  .object({
    image_id: z.string().optional().describe('the image to search (required with window; otherwise every image intersecting bbox/polygon)'),
    window: PixelWindowInputSchema.optional().describe('pixel window of image_id'),
    bbox: BBoxSchema.optional(),
    polygon: GeoJsonPolygonSchema.extend({ coordinates: GeoJsonPolygonSchema.shape.coordinates.min(1) }).optional().describe('WGS84 GeoJSON polygon (lon, lat)'),
    queries: z.array(QuerySchema).min(1).max(8).describe('free-text and/or prototype queries'),
    threshold: z.number().min(0).max(1).optional().describe('minimum score (0–1) for every query (overrides each prototype\'s own default). Default: 0.6 for text (the calibrated chance that a box is right: query probability × objectness, Platt-scaled; 0.6 maximised F1 summed over ship/aircraft/vehicle on tuning scenes; 0.3 for a text answered by a shipped class head, whose score is head × objectness, see searched.class_heads), for a prototype the threshold its held-out check found (keeps 80 % of its held-out examples: list_prototypes window_head.check.threshold), else 0.3'),
    max_detections: z.number().int().min(1).max(2000).default(200),
    exhaustive: z.boolean().default(false).describe('search every pixel; default: only where the stored tile embeddings may hold the query (plus a small random sample), several times faster on large regions'),
    model: z.string().optional().describe('model id or id@version (default: the active model)'),
  })
  .strict();

/** Output of detect_in_region: a GeoJSON FeatureCollection plus counts per query. */
export const detectInRegionOutput = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(DetectionFeatureSchema),
  counts: z.record(z.string(), z.number()).describe('detections per query label'),
  images: z.array(z.string()).describe('images searched'),
  pixels: z.number().describe('pixels of the region'),
  searched: SearchedAreaSchema,
  model_version: z.string(),
});

/** detect_in_region: open-vocabulary / prototype detection in an area. */
export const detectInRegionTool: ToolDefinition<typeof detectInRegionInput, typeof detectInRegionOutput> = {
  name: 'detect_in_region',
  title: 'Detect objects in a region',
  description:
    'Find and count objects in an image region by free text (open vocabulary) and/or named prototypes. Returns a GeoJSON FeatureCollection: each detection has a score, pixel box, WGS84 polygon and centre, image id, acquisition time, sensor and a detection_id you can confirm or reject via add_prototype. Regions larger than one tile are tiled and merged; the limit is about 268 Mpx per call. On imagery the encoder was not trained on (real scenes with the shipped model), a text naming an aircraft, ship, vehicle, storage tank, wind turbine or building is answered by a shipped class head (pixel features scoring the objectness proposals).',
  inputSchema: detectInRegionInput,
  outputSchema: detectInRegionOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const enc = await ctx.encoder(input.model);
    const store = await ctx.store();
    const res = await detectInRegion(
      store,
      enc,
      {
        ...(input.image_id ? { imageId: input.image_id } : {}),
        ...(input.window ? { window: input.window } : {}),
        ...(input.bbox ? { bbox: input.bbox } : {}),
        ...(input.polygon ? { polygon: input.polygon } : {}),
      },
      input.queries,
      { ...(input.threshold !== undefined ? { threshold: input.threshold } : {}), maxDetections: input.max_detections, prototypes: (name) => prototypeQuery(store, name, enc.modelVersion, { withExemplars: true }), exhaustive: input.exhaustive, ...(ctx.proposer ? { proposer: await ctx.proposer() } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}) },
    );
    return { type: 'FeatureCollection', ...res, model_version: enc.modelVersion };
  },
  render(out) {
    const counts = Object.entries(out.counts).map(([q, n]) => `${q}: ${n}`).join(', ');
    const lines = out.features.slice(0, 20).map((f, i) => {
      const p = f.properties;
      const where = p.lat != null ? `${p.lat.toFixed(5)}, ${p.lon!.toFixed(5)}` : 'pixel-only';
      return `${i + 1}. ${p.query} ${p.score.toFixed(2)} at ${where} (lat, lon) box ${p.pixel_box.x},${p.pixel_box.y} ${p.pixel_box.width}×${p.pixel_box.height} in ${p.image_id} ${p.acquired_at?.slice(0, 10) ?? ''} ${p.sensor ?? ''} [${p.detection_id}]`;
    });
    const more = out.features.length > 20 ? `\n… ${out.features.length - 20} more in the structured result.` : '';
    const how = out.searched.mode === 'gated' ? `, searched ${(out.searched.coverage * 100).toFixed(0)} % where stored tiles match (exhaustive: true searches all)` : '';
    const heads = out.searched.class_heads?.length ? `; on ${new Set(out.searched.class_heads.map((u) => u.image_id)).size} image(s) unlike the encoder's training world, ${[...new Set(out.searched.class_heads.map((u) => `"${u.query}"`))].join(', ')} came from the shipped class head (pixel features)` : '';
    return `Counts (${out.model_version}, ${(out.pixels / 1e6).toFixed(1)} Mpx in ${out.images.length} image(s)${how}${heads}): ${counts || 'none'}\n${lines.join('\n')}${more}`;
  },
};
