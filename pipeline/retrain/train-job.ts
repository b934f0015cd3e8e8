import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { GeoscoutError } from '../../core/errors.js';
import type { JobContext } from '../jobs/job-context.js';
import { JobRunner } from '../jobs/runner.js';
import { modelVersionOf } from '../models/manifest.js';
import { ModelRegistry } from '../models/registry.js';
import { buildTrainingSet } from '../synth/dataset.js';
import { decide, evaluationTable, type CompareJson } from './gate.js';
import { buildDatasetManifest } from './manifest.js';
import { moduleCommand, runLogged } from './python-run.js';
import { cocoExamples, detectionExamples, pairExamples, prototypeExamples, type Example } from './sources.js';

/** Parameters of a `train` job (what launch_retraining accepts). */
export const TrainParams = z.object({
  sources: z.object({
    prototypes: z.union([z.boolean(), z.array(z.string())]).default(true).describe('true: every prototype; or names'),
    detections: z.boolean().default(true).describe('confirmed detections as examples, rejected ones as distractors'),
    pairs: z.string().optional().describe('figure–caption JSONL from `geoscout docs pairs`'),
    coco: z.string().optional().describe('a COCO detection file (images + boxes + categories)'),
    coco_image_root: z.string().optional().describe('folder COCO file_names are relative to (default: the COCO file\'s)'),
  }).default({ prototypes: true, detections: true }),
  base_model: z.string().optional().describe('model to start from (default: the active one)'),
  mode: z.enum(['contrastive', 'head-only', 'probe']).default('contrastive'),
  preset: z.enum(['tiny-cpu', 'gpu']).default('tiny-cpu'),
  epochs: z.number().int().positive().optional(),
  batch_size: z.number().int().positive().optional(),
  lr: z.number().positive().optional(),
  heldout_fraction: z.number().min(0).max(0.9).default(0.25),
  replay_seeds: z.array(z.number().int()).default([1000, 1001, 1002]).describe('synthetic scenes replayed so old classes are not forgotten'),
  replay_exclude: z.array(z.string()).default(['wind_turbine']).describe('classes kept out of the replay (the parent\'s withheld ones)'),
  benchmark_seeds: z.array(z.number().int()).default([9100, 9101]).describe('held-out synthetic scenes of the benchmark'),
  tolerance: z.number().min(0).default(2).describe('percentage points a metric may drop and still count as not worse'),
  version: z.string().optional().describe('version of the new model (default: the parent\'s next minor)'),
  reembed: z.boolean().default(false).describe('after registration, start a re-embed job for the new version'),
  activate: z.boolean().default(false).describe('with reembed: activate the new version once re-embedding is done'),
});
export type TrainParamsT = z.infer<typeof TrainParams>;

/** Collects examples from the chosen sources. */
export async function collectExamples(ctx: JobContext, p: TrainParamsT): Promise<Example[]> {
  const s = p.sources;
  const names = Array.isArray(s.prototypes) ? s.prototypes : undefined;
  return [
    ...(s.prototypes !== false ? await prototypeExamples(ctx.store, names) : []),
    ...(s.detections ? await detectionExamples(ctx.store, names) : []),
    ...(s.coco ? await cocoExamples(s.coco, s.coco_image_root, ctx.config.allowedRoots) : []),
    ...(s.pairs ? await pairExamples(s.pairs, ctx.config.allowedRoots) : []),
  ];
}

/** The synthetic benchmark (all classes, withheld ones included), built once per seed list. */
export async function benchmarkManifest(dataDir: string, seeds: number[], signal?: AbortSignal): Promise<string> {
  const dir = path.join(dataDir, 'retrain', `benchmark-${seeds.join('-')}`);
  const manifest = path.join(dir, 'test.jsonl');
  if (await access(path.join(dir, '.done')).then(() => true, () => false)) return manifest;
  await buildTrainingSet(dir, { seeds, split: 'test', sceneSize: 2048, chipSizes: [96, 192], maxPerType: 3, backgroundChips: 4, ...(signal ? { signal } : {}) });
  await writeFile(path.join(dir, '.done'), '');
  return manifest;
}

/**
 * The `train` job: dataset manifest from the sources → fine-tune of the current model
 * (geoscout_train.finetune, torchrun across nodes on Slurm) → evaluation of new vs
 * current on the held-out split and the synthetic benchmark → registration only when
 * not worse. The active model and stored vectors are never touched here: the candidate
 * lives in the job's folder until registration copies it in, and activation is a
 * separate step (re-embed with `activate`).
 */
export async function runTrainJob(ctx: JobContext): Promise<Record<string, unknown>> {
  const p = TrainParams.parse(ctx.job.params);
  const reg = new ModelRegistry(ctx.config.dataDir);
  const parent = await reg.resolve(p.base_model ?? ctx.config.models.active);
  const parentMv = modelVersionOf(parent.manifest);
  if (!(await access(path.join(parent.dir, 'weights.pt')).then(() => true, () => false))) {
    throw new GeoscoutError('UNSUPPORTED', `${parentMv} has no weights.pt: only models trained by geoscout_train can be fine-tuned. Choose base_model, e.g. geoscout-mini.`);
  }
  const work = path.join(ctx.config.dataDir, 'retrain', ctx.job.id);
  const t0 = Date.now();
  ctx.progress(0.01, 'collecting examples');
  const examples = await collectExamples(ctx, p);
  const data = await buildDatasetManifest(ctx.store, path.join(work, 'data'), examples, {
    heldoutFraction: p.heldout_fraction, replaySeeds: p.replay_seeds, replayExclude: p.replay_exclude, signal: ctx.signal,
    onProgress: (d, n) => ctx.progress(0.02 + 0.08 * (d / n), `chips ${d}/${n}`),
  });
  ctx.log(`dataset ${data.sha256.slice(0, 12)}: ${JSON.stringify(data.counts)}`);
  ctx.progress(0.1, 'benchmark chips');
  const bench = await benchmarkManifest(ctx.config.dataDir, p.benchmark_seeds, ctx.signal);
  const tData = Date.now();

  const version = p.version ?? (await reg.nextVersion(parent.manifest.id, parent.manifest.version));
  const run = path.join(work, 'run'), modelDir = path.join(work, 'model');
  const args = ['--parent', parent.dir, '--manifest', data.train, '--out', run, '--mode', p.mode, '--preset', p.preset,
    '--export-dir', modelDir, '--id', parent.manifest.id, '--version', version,
    ...(p.epochs ? ['--epochs', String(p.epochs)] : []), ...(p.batch_size ? ['--batch-size', String(p.batch_size)] : []), ...(p.lr ? ['--lr', String(p.lr)] : [])];
  ctx.progress(0.15, `fine-tuning ${parentMv} (${p.mode}, ${p.preset})`);
  await runLogged(ctx, await moduleCommand(ctx, 'geoscout_train.finetune', args, true), (line) => {
    const m = /epoch (\d+)\/(\d+) step (\d+)\/(\d+)/.exec(line);
    if (m) {
      const [e, E, i, n] = m.slice(1).map(Number) as [number, number, number, number];
      ctx.progress(0.15 + 0.6 * (((e - 1) * n + i) / (E * n)), `training epoch ${e}/${E} step ${i}/${n}`);
    }
  });
  const tTrain = Date.now();

  ctx.progress(0.8, 'evaluating new vs current');
  const cmpFile = path.join(work, 'compare.json');
  const sets = [...(data.counts.heldout > 0 ? ['--set', `heldout=${data.heldout}`] : []), '--set', `benchmark=${bench}`];
  await runLogged(ctx, await moduleCommand(ctx, 'geoscout_train.compare', ['--parent', parent.dir, '--candidate', path.join(run, 'last.pt'), ...sets, '--out', cmpFile], false));
  const cmp = JSON.parse(await readFile(cmpFile, 'utf8')) as CompareJson;
  const evaluation = evaluationTable(cmp);
  const decision = decide(cmp, data.targetClasses, p.tolerance);
  const tEval = Date.now();

  let registered: string | null = null, reembedJob: string | null = null;
  if (decision.registered) {
    if (ctx.signal.aborted) throw new GeoscoutError('CANCELLED', 'cancelled before registration');
    const entry = await reg.register(modelDir, {
      parent: parentMv, data: { manifest_sha256: data.sha256, counts: data.counts, sources: p.sources, target_classes: data.targetClasses },
      metrics: { evaluation, decision }, job: ctx.job.id, mode: p.mode, preset: p.preset,
    });
    registered = entry.modelVersion;
    ctx.log(`registered ${registered} (not active; re-embed and activate to switch)`);
    if (p.reembed) {
      const runner = await JobRunner.open(ctx.config, ctx.store);
      reembedJob = (await runner.submit('re-embed', { model: registered, activate: p.activate }, { backend: 'local' })).id;
    }
  }
  const summary = registered ? `registered ${registered}: ${decision.reasons[0]}` : `not registered: ${decision.reasons.filter((r) => r.includes('worse by')).join('; ') || decision.reasons.join('; ')}`;
  return {
    summary, parent: parentMv, candidate: `${parent.manifest.id}@${version}`, registered, reembed_job: reembedJob,
    decision, evaluation, dataset: { sha256: data.sha256, counts: data.counts, dir: data.dir, target_classes: data.targetClasses },
    seconds: { data: (tData - t0) / 1000, train: (tTrain - tData) / 1000, evaluate: (tEval - tTrain) / 1000 },
  };
}

/** Parameters of an `evaluate` job: a registered model against another (default: the active one) on the benchmark. */
export const EvaluateParams = z.object({ model: z.string(), against: z.string().optional(), benchmark_seeds: z.array(z.number().int()).default([9100]) });

/** The `evaluate` job: the same comparison table as training, for two registered versions. */
export async function runEvaluateJob(ctx: JobContext): Promise<Record<string, unknown>> {
  const p = EvaluateParams.parse(ctx.job.params);
  const reg = new ModelRegistry(ctx.config.dataDir);
  const [cand, base] = await Promise.all([reg.resolve(p.model), reg.resolve(p.against ?? ctx.config.models.active)]);
  const bench = await benchmarkManifest(ctx.config.dataDir, p.benchmark_seeds, ctx.signal);
  const out = path.join(ctx.config.dataDir, 'retrain', ctx.job.id, 'compare.json');
  await mkdir(path.dirname(out), { recursive: true });
  await runLogged(ctx, await moduleCommand(ctx, 'geoscout_train.compare', ['--parent', base.dir, '--candidate', path.join(cand.dir, 'weights.pt'), '--set', `benchmark=${bench}`, '--out', out], false));
  const cmp = JSON.parse(await readFile(out, 'utf8')) as CompareJson;
  return { summary: `${modelVersionOf(cand.manifest)} vs ${modelVersionOf(base.manifest)}`, evaluation: evaluationTable(cmp), decision: decide(cmp, [], 1) };
}
