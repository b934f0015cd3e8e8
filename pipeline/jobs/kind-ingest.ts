import { z } from 'zod';
import { GeoscoutError } from '../../core/errors.js';
import { getImage, listImages, type ImageRecord } from '../catalog/catalog.js';
import { sqlString } from '../index/store.js';
import { openTilesTable, tilesTableName, newTableLayout } from '../index/tiles-table.js';
import { ingestImage, type IngestProgress } from '../ingest/ingest-image.js';
import { ModelRegistry } from '../models/registry.js';
import type { JobContext } from './job-context.js';

/** Parameters of an `ingest` job (also the shard rows of an ingest job array). */
export const IngestParams = z.object({
  image_ids: z.array(z.string()).optional().describe('images to embed; omitted = every catalogued image that is not stale'),
  model: z.string().optional().describe('model id or id@version (default: the active model)'),
  batch_size: z.number().int().positive().optional(),
});

/** Parameters of a `re-embed` job. */
export const ReEmbedParams = IngestParams.extend({
  model: z.string().describe('the new model version to embed with (id@version)'),
  activate: z.boolean().default(false).describe('make the model active once every image is embedded'),
});

/** Images a job covers: the named ones, or every catalogued image that is not stale. */
export async function imagesFor(ctx: JobContext, ids: string[] | undefined): Promise<ImageRecord[]> {
  if (ids) return Promise.all(ids.map((id) => getImage(ctx.store, id)));
  return (await listImages(ctx.store)).filter((r) => r.status !== 'stale');
}

/**
 * Embeds images one after the other with ingestImage (resumable, idempotent: a re-run
 * or a second job over the same images adds nothing). Progress counts tiles of the
 * current image on top of finished images.
 */
async function embedAll(ctx: JobContext, images: ImageRecord[], model: string | undefined, batchSize?: number): Promise<{ modelVersion: string; images: IngestProgress[] }> {
  const reg = new ModelRegistry(ctx.config.dataDir);
  const encoder = await reg.openEncoder(model ?? ctx.config.models.active, ModelRegistry.encoderOptions(ctx.config.models));
  const out: IngestProgress[] = [];
  try {
    for (const [i, img] of images.entries()) {
      const res = await ingestImage(ctx.store, encoder, img, {
        signal: ctx.signal,
        tableLayout: newTableLayout(ctx.config.index.vectorType),
        ...(batchSize ? { batchSize } : {}),
        onProgress: (p) => ctx.progress((i + p.done / Math.max(1, p.planned)) / images.length, `${img.image_id}: ${p.done}/${p.planned} tiles (${i + 1}/${images.length} images)`),
      });
      out.push(res);
      ctx.log(`${img.image_id} ${encoder.modelVersion}: planned ${res.planned}, existing ${res.existing}, written ${res.written}, blank ${res.blank}`);
    }
    return { modelVersion: encoder.modelVersion, images: out };
  } finally {
    await encoder.close();
  }
}

function summary(r: { modelVersion: string; images: IngestProgress[] }): Record<string, unknown> {
  const sum = (k: 'planned' | 'written' | 'existing' | 'blank') => r.images.reduce((a, p) => a + p[k], 0);
  return {
    model_version: r.modelVersion, images: r.images.length, tiles_planned: sum('planned'), tiles_written: sum('written'),
    tiles_existing: sum('existing'), tiles_blank: sum('blank'),
    per_image: r.images.map((p) => ({ image_id: p.imageId, planned: p.planned, written: p.written, existing: p.existing, blank: p.blank })),
  };
}

/**
 * Images that have tiles of the currently active version of `modelId`: what a re-embed
 * must cover so searches switch over without losing images (catalogued images that were
 * never ingested stay that way).
 */
async function embeddedImages(ctx: JobContext, modelId: string): Promise<ImageRecord[]> {
  const active = await new ModelRegistry(ctx.config.dataDir).resolve(ctx.config.models.active);
  const name = tilesTableName(modelId);
  if (active.manifest.id !== modelId || !(await ctx.store.tableNames()).includes(name)) return imagesFor(ctx, undefined);
  const mv = `${active.manifest.id}@${active.manifest.version}`;
  const { table: t } = await openTilesTable(ctx.store, active.manifest);
  const ids = new Set((await t.query().where(`model_version = ${sqlString(mv)}`).select(['image_id']).toArray()).map((r) => String((r as { image_id: string }).image_id)));
  return (await imagesFor(ctx, undefined)).filter((r) => ids.has(r.image_id));
}

/** The `ingest` job. */
export async function runIngestJob(ctx: JobContext): Promise<Record<string, unknown>> {
  const p = IngestParams.parse(ctx.job.params);
  const images = await imagesFor(ctx, p.image_ids);
  if (images.length === 0) return { ...summary({ modelVersion: p.model ?? '', images: [] }), note: 'no images to ingest' };
  return summary(await embedAll(ctx, images, p.model, p.batch_size));
}

/**
 * The `re-embed` job: embeds every image again with a new model version into that
 * model's rows (same tiles table for the same model id, told apart by model_version).
 * Searches keep using the active version's rows until this job activates the new one,
 * which it does only after every image is done.
 */
export async function runReEmbedJob(ctx: JobContext): Promise<Record<string, unknown>> {
  const p = ReEmbedParams.parse(ctx.job.params);
  const reg = new ModelRegistry(ctx.config.dataDir);
  const target = await reg.resolve(p.model);
  const mv = `${target.manifest.id}@${target.manifest.version}`;
  const images = p.image_ids ? await imagesFor(ctx, p.image_ids) : await embeddedImages(ctx, target.manifest.id);
  const res = await embedAll(ctx, images, mv, p.batch_size);
  let activated = false;
  if (p.activate) {
    if (ctx.signal.aborted) throw new GeoscoutError('CANCELLED', 're-embed cancelled before activation');
    await reg.use(mv);
    activated = true;
    ctx.log(`activated ${mv}`);
  }
  return { ...summary(res), activated };
}
