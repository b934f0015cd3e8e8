import { z } from 'zod';
import { GeoscoutError } from '../core/errors.js';
import { getImage } from '../pipeline/catalog/catalog.js';
import { JobRunner } from '../pipeline/jobs/runner.js';
import type { ToolDefinition } from './tool.js';

/** Input of ingest_images. */
export const ingestImagesInput = z
  .object({
    image_ids: z.array(z.string().min(1)).min(1).optional().describe('catalogued image ids; omit to embed every catalogued image'),
    model: z.string().optional().describe('model id or id@version (default: the active model)'),
    shards: z.number().int().min(1).max(1000).optional().describe('Slurm backend: split into this many array tasks (default jobs.slurm.ingestShards)'),
  })
  .strict();

/** Output of ingest_images. */
export const ingestImagesOutput = z.object({
  job_id: z.string().describe('poll it with get_job'),
  status: z.string(),
  backend: z.enum(['local', 'slurm']),
  images: z.number().nullable().describe('images named (null: all catalogued)'),
});

/** ingest_images: starts an ingest job and returns its id at once (embedding runs in the background). */
export const ingestImagesTool: ToolDefinition<typeof ingestImagesInput, typeof ingestImagesOutput> = {
  name: 'ingest_images',
  title: 'Ingest images',
  description: 'Embed catalogued images tile by tile in the background (resumable, idempotent). Returns a job id at once; follow it with get_job.',
  inputSchema: ingestImagesInput,
  outputSchema: ingestImagesOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const store = await ctx.store();
    // Unknown ids fail here, with the id named, rather than minutes later in the worker.
    for (const id of input.image_ids ?? []) await getImage(store, id);
    if (input.model) {
      const { ModelRegistry } = await import('../pipeline/models/registry.js');
      await new ModelRegistry(ctx.config.dataDir).resolve(input.model);
    }
    const runner = await JobRunner.open(ctx.config, store);
    const params = { ...(input.image_ids ? { image_ids: input.image_ids } : {}), ...(input.model ? { model: input.model } : {}) };
    if (input.shards && ctx.config.jobs.backend !== 'slurm' && input.shards > 1) {
      throw new GeoscoutError('INVALID_INPUT', 'shards needs the Slurm backend (jobs.backend "slurm"); on one machine leave it out.');
    }
    const job = await runner.submit('ingest', params, input.shards ? { shards: input.shards } : {});
    return { job_id: job.id, status: job.status, backend: job.backend, images: input.image_ids?.length ?? null };
  },
  render: (o) => `ingest job ${o.job_id} ${o.status} on ${o.backend} (${o.images ?? 'all'} images); follow it with get_job`,
};
