import { z } from 'zod';
import { GeoscoutError } from '../core/errors.js';
import { listImages, type ImageFilter } from '../pipeline/catalog/catalog.js';
import { BBoxSchema, GeoJsonPolygonSchema } from '../pipeline/raster/georef.js';
import type { ToolDefinition } from './tool.js';

/** Input of list_images. */
export const listImagesInput = z
  .object({
    bbox: BBoxSchema.optional().describe('WGS84 [minLon, minLat, maxLon, maxLat]: scenes whose footprint box intersects it'),
    from: z.string().datetime({ offset: true }).optional().describe('acquired at or after (ISO 8601, e.g. 2024-06-01T00:00:00Z)'),
    to: z.string().datetime({ offset: true }).optional().describe('acquired at or before (ISO 8601)'),
    sensors: z.array(z.string().min(1)).optional().describe('sensor names, e.g. ["WV3"]'),
    image_ids: z.array(z.string().min(1)).optional().describe('only these image ids'),
    limit: z.number().int().min(1).max(1000).default(100).describe('at most this many scenes, oldest acquisition first'),
  })
  .strict();

/** Output of list_images. */
export const listImagesOutput = z.object({
  images: z.array(
    z.object({
      image_id: z.string().describe('catalog id (img_ + 16 hex)'),
      title: z.string().nullable(),
      uri: z.string().describe('where the file lives'),
      width: z.number(),
      height: z.number(),
      bands: z.number(),
      acquired_at: z.string().nullable().describe('acquisition time, ISO 8601'),
      sensor: z.string().nullable(),
      gsd_m: z.number().nullable().describe('ground sample distance in metres'),
      off_nadir_deg: z.number().nullable(),
      crs: z.string().nullable(),
      bbox: BBoxSchema.nullable(),
      center: z.object({ lon: z.number(), lat: z.number() }).nullable(),
      footprint: GeoJsonPolygonSchema.nullable().describe('WGS84 GeoJSON polygon (lon, lat)'),
      status: z.enum(['ready', 'pixel-only', 'stale']),
    }),
  ),
  count: z.number().describe('number of scenes returned'),
});

/** list_images: the catalogued scenes, filtered by area, time, sensor and id. */
export const listImagesTool: ToolDefinition<typeof listImagesInput, typeof listImagesOutput> = {
  name: 'list_images',
  title: 'List catalogued scenes',
  description:
    'Lists the satellite scenes in the catalog that intersect an area (WGS84 bbox), fall in a time range, and come from given sensors. Each scene gives its image id, acquisition time, sensor, GSD, size, WGS84 footprint and centre. Use it to see what imagery exists before searching tiles.',
  inputSchema: listImagesInput,
  outputSchema: listImagesOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const filter: ImageFilter = {
      ...(input.bbox ? { bbox: input.bbox } : {}),
      ...(input.from ? { from: new Date(input.from) } : {}),
      ...(input.to ? { to: new Date(input.to) } : {}),
      ...(input.sensors ? { sensors: input.sensors } : {}),
      ...(input.image_ids ? { imageIds: input.image_ids } : {}),
      limit: input.limit,
    };
    if (filter.from && filter.to && filter.from > filter.to) {
      throw new GeoscoutError('INVALID_INPUT', `from (${input.from}) is after to (${input.to}): swap them.`);
    }
    const rows = await listImages(await ctx.store(), filter);
    const images = rows.map((r) => ({
      image_id: r.image_id,
      title: r.title,
      uri: r.uri,
      width: r.width,
      height: r.height,
      bands: r.bands,
      acquired_at: r.acquired_at,
      sensor: r.sensor,
      gsd_m: r.gsd_m,
      off_nadir_deg: r.off_nadir_deg,
      crs: r.crs,
      bbox: r.min_lon !== null && r.min_lat !== null && r.max_lon !== null && r.max_lat !== null ? ([r.min_lon, r.min_lat, r.max_lon, r.max_lat] as [number, number, number, number]) : null,
      center: r.center_lon !== null && r.center_lat !== null ? { lon: r.center_lon, lat: r.center_lat } : null,
      footprint: r.footprint,
      status: r.status,
    }));
    return { images, count: images.length };
  },
  render(out) {
    if (out.count === 0) return 'No catalogued scenes match.';
    return out.images
      .map((i) => {
        const where = i.center ? `centre ${i.center.lat.toFixed(5)}, ${i.center.lon.toFixed(5)} (lat, lon)` : 'pixel-only';
        return `${i.image_id}  ${i.acquired_at ?? 'time?'}  ${i.sensor ?? 'sensor?'}  ${i.gsd_m?.toFixed(2) ?? '?'} m  ${i.width}×${i.height}  ${where}${i.title ? `  "${i.title}"` : ''}`;
      })
      .join('\n');
  },
};
