import { z } from 'zod';
import { GeoscoutError } from '../core/errors.js';
import { assertAllowedPath } from '../core/paths.js';
import { JobRunner } from '../pipeline/jobs/runner.js';
import { ModelRegistry } from '../pipeline/models/registry.js';
import { TrainParams } from '../pipeline/retrain/train-job.js';
import { regularFile } from '../core/input-file.js';
import type { ToolDefinition } from './tool.js';

/** Input of launch_retraining (the train job's parameters). */
export const launchRetrainingInput = TrainParams.strict();

/** Output of launch_retraining. */
export const launchRetrainingOutput = z.object({
  job_id: z.string().describe('follow it with get_job: progress, then the evaluation table and whether the new version was registered'),
  status: z.string(),
  backend: z.enum(['local', 'slurm']),
  base_model: z.string(),
});

/**
 * launch_retraining: fine-tunes the current encoder on what was gathered while working
 * (prototype examples, confirmed/rejected detections, figure pairs, a COCO file),
 * evaluates it against the current model and registers it only if it is not worse.
 */
export const launchRetrainingTool: ToolDefinition<typeof launchRetrainingInput, typeof launchRetrainingOutput> = {
  name: 'launch_retraining',
  title: 'Launch retraining',
  description: 'Fine-tune the current image/text encoder on collected knowledge (prototypes and their examples, confirmed/rejected detections, document figure pairs, a COCO file) with a held-out split; evaluate new vs current on the held-out split and the synthetic benchmark; register the new version only if not worse. Returns a job id at once; get_job shows progress and the evaluation table. The active model and stored vectors stay unchanged (re-embed and activate are separate steps, or set reembed/activate).',
  inputSchema: launchRetrainingInput,
  outputSchema: launchRetrainingOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(input, ctx) {
    // Check what can be checked now, so mistakes come back here and not minutes later in a job.
    for (const f of [input.sources.coco, input.sources.pairs].filter((x): x is string => !!x)) {
      if (ctx.config.allowedRoots.length) await assertAllowedPath(f, ctx.config.allowedRoots);
      await regularFile(f, 'training file'); // a FIFO would block the job forever
    }
    const src = input.sources;
    if (src.prototypes === false && !src.detections && !src.coco && !src.pairs) {
      throw new GeoscoutError('INVALID_INPUT', 'No sources chosen: enable prototypes or detections, or give a coco file or figure pairs.');
    }
    if (input.activate && !input.reembed) throw new GeoscoutError('INVALID_INPUT', 'activate needs reembed: true (a version is activated only once its vectors exist).');
    const base = await new ModelRegistry(ctx.config.dataDir).resolve(input.base_model ?? ctx.config.models.active);
    const runner = await JobRunner.open(ctx.config, await ctx.store());
    const job = await runner.submit('train', input as Record<string, unknown>);
    return { job_id: job.id, status: job.status, backend: job.backend, base_model: `${base.manifest.id}@${base.manifest.version}` };
  },
  render: (o) => `training job ${o.job_id} ${o.status} on ${o.backend}, starting from ${o.base_model}; follow it with get_job`,
};
