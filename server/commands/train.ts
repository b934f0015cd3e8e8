import { Command } from 'commander';
import { JobRunner } from '../../pipeline/jobs/runner.js';
import { createToolContext } from '../../tools/context.js';
import { jobOutput, getJobTool } from '../../tools/get-job.js';
import { launchRetrainingInput, launchRetrainingTool } from '../../tools/launch-retraining.js';
import { action } from '../cli-context.js';

/** `geoscout train`: the launch_retraining tool from the command line (optionally waiting for the result). */
export function trainCommand(): Command {
  return new Command('train')
    .description('fine-tune the active encoder on prototypes, confirmed/rejected detections, figure pairs and/or a COCO file; registers the new version only if not worse')
    .option('--prototypes <names...>', 'only these prototypes (default: all)')
    .option('--no-prototypes', 'leave prototypes out')
    .option('--no-detections', 'leave confirmed/rejected detections out')
    .option('--pairs <jsonl>', 'figure–caption pairs from `geoscout docs pairs`')
    .option('--coco <file>', 'a COCO detection file')
    .option('--mode <mode>', 'contrastive | head-only | probe', 'contrastive')
    .option('--preset <preset>', 'tiny-cpu | gpu', 'tiny-cpu')
    .option('--epochs <n>', 'epochs', (v) => Number(v))
    .option('--base-model <model>', 'model to start from (default: the active one)')
    .option('--reembed', 'after registration, re-embed every image with the new version')
    .option('--activate', 'with --reembed: switch searches to the new version when re-embedding is done')
    .option('--wait', 'wait for the job and print its evaluation table')
    .action(
      action(async (ctx, o: { prototypes?: string[] | boolean; detections: boolean; pairs?: string; coco?: string; mode: string; preset: string; epochs?: number; baseModel?: string; reembed?: boolean; activate?: boolean; wait?: boolean }) => {
        const input = launchRetrainingInput.parse({
          sources: { prototypes: o.prototypes ?? true, detections: o.detections, ...(o.pairs ? { pairs: o.pairs } : {}), ...(o.coco ? { coco: o.coco } : {}) },
          mode: o.mode, preset: o.preset, ...(o.epochs ? { epochs: o.epochs } : {}), ...(o.baseModel ? { base_model: o.baseModel } : {}),
          reembed: !!o.reembed, activate: !!o.activate,
        });
        const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
        const out = await launchRetrainingTool.handler(input, tctx).finally(() => tctx.close());
        process.stdout.write(launchRetrainingTool.render(out) + '\n');
        if (!o.wait) return;
        const runner = await JobRunner.open(ctx.config, await ctx.store());
        let last = '';
        const view = await runner.wait(out.job_id, {
          signal: ctx.signal, pollMs: 1000,
          onUpdate: (j) => {
            const line = `${j.status} ${(j.progress * 100).toFixed(0)}% ${j.message}`;
            if (line !== last) process.stderr.write(line + '\n');
            last = line;
          },
        });
        process.stdout.write(getJobTool.render(jobOutput(view)) + '\n');
        if (view.status !== 'succeeded') process.exitCode = 1;
      }),
    );
}
