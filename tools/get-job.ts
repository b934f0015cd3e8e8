import { z } from 'zod';
import { JobRunner, type JobView } from '../pipeline/jobs/runner.js';
import type { ToolDefinition } from './tool.js';

/** Input of get_job. */
export const getJobInput = z
  .object({
    job_id: z.string().min(1).describe('a job id returned by ingest_images or launch_retraining'),
    log_lines: z.number().int().min(0).max(200).default(20).describe('lines of the job log to return'),
    cancel: z.boolean().default(false).describe('cancel the job (a cancelled training run registers nothing and leaves stored vectors untouched)'),
  })
  .strict();

const EvalRow = z.object({
  set: z.string().describe('heldout (the new data\'s held-out split) or benchmark (synthetic scenes)'),
  metric: z.string().describe('e.g. mAP, AP wind_turbine, t2i_R@10'),
  parent: z.number().nullable(),
  candidate: z.number().nullable(),
  delta: z.number().nullable(),
});

/** Output of get_job. */
export const getJobOutput = z.object({
  job_id: z.string(),
  kind: z.enum(['ingest', 'train', 're-embed', 'evaluate']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  progress: z.number().describe('0..1'),
  message: z.string(),
  backend: z.enum(['local', 'slurm']),
  external_id: z.string().nullable().describe('worker pid (local) or Slurm job id'),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  shards: z.array(z.object({ job_id: z.string(), status: z.string(), progress: z.number() })).describe('array tasks of a sharded ingest'),
  evaluation: z.array(EvalRow).describe('training jobs: parent vs candidate per set and metric'),
  result: z.record(z.string(), z.unknown()).nullable(),
  log_tail: z.string(),
});
type Output = z.infer<typeof getJobOutput>;

/** A JobView as the tool's output. */
export function jobOutput(v: JobView): Output {
  const ev = (v.result?.evaluation as Output['evaluation'] | undefined) ?? [];
  return {
    job_id: v.id, kind: v.kind, status: v.status, progress: v.progress, message: v.message, backend: v.backend,
    external_id: v.external_id, created_at: new Date(v.created_at).toISOString(),
    finished_at: v.finished_at ? new Date(v.finished_at).toISOString() : null,
    shards: v.shards.map((s) => ({ job_id: s.id, status: s.status, progress: s.progress })),
    evaluation: ev, result: v.result, log_tail: v.log_tail,
  };
}

/** get_job: status, progress, result (with the evaluation table of a training job) and the log tail. */
export const getJobTool: ToolDefinition<typeof getJobInput, typeof getJobOutput> = {
  name: 'get_job',
  title: 'Get job',
  description: 'Status, progress, result and log tail of a background job (ingest_images, launch_retraining, re-embed). For training jobs the result holds the evaluation table (new vs current model) and whether the new version was registered and why. Pass cancel: true to cancel it.',
  inputSchema: getJobInput,
  outputSchema: getJobOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const runner = await JobRunner.open(ctx.config, await ctx.store());
    const view = input.cancel ? await runner.cancel(input.job_id) : await runner.get(input.job_id, { logLines: input.log_lines });
    return jobOutput(view);
  },
  render(o) {
    const lines = [`${o.job_id} (${o.kind}, ${o.backend}${o.external_id ? ` ${o.external_id}` : ''}): ${o.status} ${(o.progress * 100).toFixed(0)}% — ${o.message}`];
    for (const s of o.shards) lines.push(`  shard ${s.job_id}: ${s.status} ${(s.progress * 100).toFixed(0)}%`);
    if (o.evaluation.length) {
      lines.push('', '| set | metric | current | new | Δ |', '|---|---|---|---|---|');
      const f = (x: number | null) => (x === null ? '–' : x.toFixed(1));
      for (const r of o.evaluation) lines.push(`| ${r.set} | ${r.metric} | ${f(r.parent)} | ${f(r.candidate)} | ${r.delta === null ? '–' : (r.delta >= 0 ? '+' : '') + r.delta.toFixed(1)} |`);
    }
    const decision = o.result?.decision as { registered?: boolean; reasons?: string[] } | undefined;
    if (decision) lines.push('', `${decision.registered ? 'registered' : 'not registered'}: ${(decision.reasons ?? []).join('; ')}`);
    if (o.log_tail) lines.push('', 'log:', o.log_tail);
    return lines.join('\n');
  },
};
