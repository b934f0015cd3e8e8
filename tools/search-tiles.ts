import { z } from 'zod';
import { BBoxSchema } from '../pipeline/raster/georef.js';
import { ImageRefSchema, queryVector } from '../pipeline/search/query-vector.js';
import { searchTiles, TileHitSchema, type TileFilter } from '../pipeline/search/tile-search.js';
import { prototypeQuery } from '../pipeline/prototypes/prototypes.js';
import { querySizeRange } from '../pipeline/detect/vocabulary.js';
import { queryText } from './query-text.js';
import type { ToolDefinition } from './tool.js';

/** Input of search_tiles. */
export const searchTilesInput = z
  .object({
    text: queryText(0).optional().describe('what to look for, e.g. "a container ship under way"'),
    images: z.array(ImageRefSchema).max(16).optional().describe('example images (search by example); combined with text as a modifier'),
    prototype: z.string().min(1).optional().describe('a prototype name (list_prototypes): search with its fused text+visual vector'),
    negatives: z.array(ImageRefSchema).max(16).optional().describe('examples of what not to return'),
    negative_texts: z.array(z.string().min(1)).max(16).optional().describe('descriptions of what not to return'),
    bbox: BBoxSchema.optional(),
    from: z.string().datetime({ offset: true }).optional().describe('acquired at or after (ISO 8601)'),
    to: z.string().datetime({ offset: true }).optional().describe('acquired at or before (ISO 8601)'),
    sensors: z.array(z.string()).optional(),
    gsd_range: z.tuple([z.number().positive(), z.number().positive()]).optional().describe('[min, max] metres'),
    image_ids: z.array(z.string()).optional(),
    limit: z.number().int().min(1).max(100).default(10),
    rerank: z.enum(['objects', 'patches']).default('objects').describe('objects: rerank candidates by object proposals inside each tile (object boxes, better precision, about 2 s); patches: faster, patch-level boxes'),
    model: z.string().optional().describe('model id or id@version (default: the active model)'),
  })
  .strict();

/** Output of search_tiles. */
export const searchTilesOutput = z.object({ model_version: z.string(), hits: z.array(TileHitSchema) });

/** search_tiles: text / example / composed queries over embedded tiles with geo, time and sensor filters. */
export const searchTilesTool: ToolDefinition<typeof searchTilesInput, typeof searchTilesOutput> = {
  name: 'search_tiles',
  title: 'Search image tiles',
  description:
    'Find image tiles that match a text description and/or example images, within an area, time range, sensors and GSD range. Each hit gives the tile and image ids, score, pixel window, WGS84 footprint and centre, acquisition time, sensor, GSD, and the best-matching box inside the tile with its coordinates.',
  inputSchema: searchTilesInput,
  outputSchema: searchTilesOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const enc = await ctx.encoder(input.model);
    const store = await ctx.store();
    // A prototype alone is also searched for by its examples, and the object rerank compares
    // proposals with the nearest one, as detection does; with text, images or negatives
    // added, the query is more than its examples.
    const alone = input.text === undefined && !input.images && !input.negatives && !input.negative_texts;
    const proto = input.prototype ? await prototypeQuery(store, input.prototype, enc.modelVersion, { withExemplars: alone && input.rerank === 'objects' }) : null;
    const q = await queryVector(
      {
        ...(proto ? { vectors: [proto.vector] } : {}),
        ...(input.text !== undefined ? { text: input.text } : {}),
        ...(input.images ? { images: input.images } : {}),
        ...(input.negatives ? { negatives: input.negatives } : {}),
        ...(input.negative_texts ? { negativeTexts: input.negative_texts } : {}),
      },
      enc, store, ctx.config.allowedRoots, ctx.signal,
    );
    const sizeRangeM = input.prototype ? null : querySizeRange(input.text);
    const filter: TileFilter = {
      ...(input.bbox ? { bbox: input.bbox } : {}),
      ...(input.from ? { from: new Date(input.from) } : {}),
      ...(input.to ? { to: new Date(input.to) } : {}),
      ...(input.sensors ? { sensors: input.sensors } : {}),
      ...(input.gsd_range ? { gsdRange: input.gsd_range } : {}),
      ...(input.image_ids ? { imageIds: input.image_ids } : {}),
    };
    return { model_version: enc.modelVersion, hits: await searchTiles(store, enc, q, filter, input.limit, ctx.signal, {
      rerank: input.rerank,
      ...(input.rerank === 'objects' && ctx.proposer ? { proposer: await ctx.proposer() } : {}),
      ...(proto?.exemplars ? { exemplars: proto.exemplars } : {}),
      // A text that names a class ("a vehicle") also says how big a box of it can be.
      ...(sizeRangeM ? { sizeRangeM } : {}),
    }) };
  },
  render(out) {
    if (out.hits.length === 0) return `No tiles matched (model ${out.model_version}).`;
    return out.hits
      .map((h, i) => {
        const where = h.best_box?.lat != null ? `${h.best_box.lat.toFixed(5)}, ${h.best_box.lon!.toFixed(5)}` : h.center ? `${h.center.lat.toFixed(5)}, ${h.center.lon.toFixed(5)}` : 'pixel-only';
        const box = h.best_box ? ` box ${h.best_box.x},${h.best_box.y} ${h.best_box.width}×${h.best_box.height}` : '';
        return `${i + 1}. ${h.score.toFixed(3)}  ${h.tile_id}  at ${where} (lat, lon)${box}  ${h.acquired_at?.slice(0, 10) ?? 'time?'} ${h.sensor ?? ''} ${h.gsd_m?.toFixed(2) ?? '?'} m`;
      })
      .join('\n');
  },
};
