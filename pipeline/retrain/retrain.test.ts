import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../core/config.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { createToolContext } from '../../tools/context.js';
import { getJobInput, getJobTool } from '../../tools/get-job.js';
import { ingestImagesInput, ingestImagesTool } from '../../tools/ingest-images.js';
import { launchRetrainingInput, launchRetrainingTool } from '../../tools/launch-retraining.js';
import { searchTilesInput, searchTilesTool } from '../../tools/search-tiles.js';
import { addImages, type ImageRecord } from '../catalog/catalog.js';
import { Store } from '../index/store.js';
import { tilesTableName } from '../index/tiles-table.js';
import { JobRunner } from '../jobs/runner.js';
import { signalWorker } from '../jobs/backend-local.js';
import { ModelRegistry, SHIPPED_MODELS_DIR } from '../models/registry.js';
import { generateScene, type GeneratedScene } from '../synth/generate-scene.js';
import { searchMetrics, writeFeedbackRows, type Truth } from './testing.js';

// Wind turbines are withheld from geoscout-mini's training (pipeline/synth/dataset.ts):
// the test teaches the class from a prototype and confirmed detections, end to end.
const TRAIN_SEEDS = [40, 41, 42, 43, 44, 45];
const EVAL_SEEDS = [46, 47, 48, 49];
/** The shipped model retraining starts from, and the version its first child gets (next minor). */
const BASE = `geoscout-mini@${(JSON.parse(readFileSync(path.join(SHIPPED_MODELS_DIR, 'geoscout-mini', 'geoscout-model.json'), 'utf8')) as { version: string }).version}`;
const CHILD = BASE.replace(/\.(\d+)\.\d+$/, (_m, minor: string) => `.${Number(minor) + 1}.0`);
const QUERY = 'a satellite image of a wind turbine';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let config: Config;
const train: { scene: GeneratedScene; image: ImageRecord }[] = [];
const evals: { scene: GeneratedScene; image: ImageRecord }[] = [];

async function withStore<T>(fn: (store: Store, ctx: ReturnType<typeof createToolContext>) => Promise<T>): Promise<T> {
  // A fresh handle each time: LanceDB handles do not see commits made by worker processes.
  const store = await Store.open(config.dbUri);
  const ctx = createToolContext(config, async () => store);
  try {
    return await fn(store, ctx);
  } finally {
    await ctx.close();
    await store.close();
  }
}

async function waitJob(id: string, timeoutMs = 240_000) {
  return withStore(async (store) => (await JobRunner.open(config, store)).wait(id, { timeoutMs, pollMs: 500 }));
}

async function windSearch(model: string) {
  return withStore(async (_s, ctx) => {
    const out = await searchTilesTool.handler(searchTilesInput.parse({ text: QUERY, image_ids: evals.map((e) => e.image.image_id), limit: 50, model }), ctx);
    const truth: Truth[] = evals.flatMap((e) => e.scene.objects.filter((o) => o.class === 'wind_turbine').map((object) => ({ image_id: e.image.image_id, object })));
    return { metrics: searchMetrics(out.hits, truth), hits: out.hits };
  });
}

async function tileStats(modelVersion: string) {
  return withStore(async (store) => {
    const t = await store.tableWithSchema(tilesTableName('geoscout-mini'), (await (await import('../index/tiles-table.js')).tilesSchema(128, 64)));
    const rows = await t.query().where(`model_version = '${modelVersion}'`).select(['tile_id', 'vector']).toArray();
    let sum = 0;
    for (const r of rows) for (const v of Array.from((r as { vector: ArrayLike<number> }).vector)) sum += v;
    return { rows: rows.length, checksum: sum };
  });
}

beforeAll(async () => {
  tmp = await makeTempDir('geoscout-retrain-');
  config = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_LOG_LEVEL: 'warn' } });
  await withStore(async (store) => {
    for (const [list, seeds] of [[train, TRAIN_SEEDS], [evals, EVAL_SEEDS]] as const) {
      for (const seed of seeds) {
        const scene = await generateScene(path.join(tmp.dir, 'scenes'), `s${seed}`, { seed, width: 1024, height: 1024, gsdM: 0.5 });
        list.push({ scene, image: (await addImages(store, [scene.tiffPath])).added[0]! });
      }
    }
  });
  await withStore((store) => writeFeedbackRows(store, feedback().prototype, feedback().detections));
  // Embed the evaluation scenes with the shipped model through an ingest job (local backend).
  const job = await withStore((_s, ctx) => ingestImagesTool.handler(ingestImagesInput.parse({ image_ids: evals.map((e) => e.image.image_id) }), ctx));
  const done = await waitJob(job.job_id);
  expect(done.status, done.log_tail).toBe('succeeded');
}, 240_000);

afterAll(async () => {
  if (!process.env.GEOSCOUT_KEEP_TMP) await tmp?.cleanup();
});

function feedback() {
  const turbine = (e: { scene: GeneratedScene; image: ImageRecord }) => {
    const o = e.scene.objects.find((x) => x.class === 'wind_turbine')!;
    const [x, y, width, height] = o.bbox.map(Math.round) as [number, number, number, number];
    return { image_id: e.image.image_id, x, y, width, height };
  };
  const other = (e: { scene: GeneratedScene; image: ImageRecord }, cls: string) => {
    const o = e.scene.objects.find((x) => x.class === cls)!;
    const [x, y, width, height] = o.bbox.map(Math.round) as [number, number, number, number];
    return { image_id: e.image.image_id, x, y, width, height };
  };
  return {
    prototype: { name: 'wind turbine', description: 'A wind turbine seen from above: three blades, a long shadow of its tower.', examples: train.slice(0, 4).map(turbine) },
    detections: [
      ...train.slice(4).map((e) => ({ ...turbine(e), feedback: 'confirmed' as const })),
      { ...other(train[0]!, 'storage_tank'), feedback: 'rejected' as const },
      { ...other(train[1]!, 'aircraft'), feedback: 'rejected' as const },
    ],
  };
}

describe('launch_retraining end to end (local backend)', () => {
  it('killing a training job mid-way leaves the active model and stored vectors untouched', async () => {
    const reg = new ModelRegistry(config.dataDir);
    const before = { models: (await reg.list()).map((m) => `${m.modelVersion}:${m.active}`), tiles: await tileStats(BASE) };
    const job = await withStore((_s, ctx) => launchRetrainingTool.handler(launchRetrainingInput.parse({ epochs: 50 }), ctx));
    // Wait until the trainer is running, then SIGKILL the worker's process group (worker + Python).
    for (let i = 0; ; i++) {
      const v = await withStore(async (store) => (await JobRunner.open(config, store)).get(job.job_id));
      if (/training epoch/.test(v.message)) {
        signalWorker(Number(v.external_id), 'SIGKILL');
        break;
      }
      expect(v.status, v.log_tail).toBe(v.status === 'queued' ? 'queued' : 'running');
      await new Promise((r) => setTimeout(r, 500));
      if (i > 400) throw new Error('training never started');
    }
    await new Promise((r) => setTimeout(r, 500));
    // A server restart: a new runner reconciles and reports the job failed, not lost.
    const after = await withStore(async (store) => (await JobRunner.open(config, store)).get(job.job_id));
    expect(after.status).toBe('failed');
    expect(after.message).toMatch(/worker process \d+ is gone/);
    expect((await reg.list()).map((m) => `${m.modelVersion}:${m.active}`)).toEqual(before.models);
    expect(await tileStats(BASE)).toEqual(before.tiles);
  }, 300_000);

  it('teaches a withheld class: trains, evaluates, registers, re-embeds, and search improves', async () => {
    const t0 = Date.now();
    const base = await windSearch(BASE);
    const parentTiles = await tileStats(BASE);
    const launched = await withStore((_s, ctx) => launchRetrainingTool.handler(launchRetrainingInput.parse({ reembed: true, activate: true }), ctx));
    expect(launched.base_model).toBe(BASE);
    const job = await waitJob(launched.job_id);
    const view = await withStore((_s, ctx) => getJobTool.handler(getJobInput.parse({ job_id: launched.job_id }), ctx));
    process.stderr.write(`\n${getJobTool.render(view)}\n`);
    expect(job.status, job.log_tail).toBe('succeeded');
    const res = job.result as { registered: string; reembed_job: string; decision: { registered: boolean; reasons: string[] }; dataset: { sha256: string } };
    expect(res.decision.registered).toBe(true);
    expect(res.registered).toBe(CHILD);
    expect(view.evaluation.some((r) => r.set === 'benchmark' && r.metric === 'AP wind_turbine')).toBe(true);

    // An evaluate job compares two registered versions with the same table (runs beside the re-embed).
    const evalJob = await withStore(async (store) => (await JobRunner.open(config, store)).submit('evaluate', { model: CHILD, against: BASE, benchmark_seeds: [9100, 9101] }));
    const [reembed, evaluated] = await Promise.all([waitJob(res.reembed_job), waitJob(evalJob.id)]);
    expect(evaluated.status, evaluated.log_tail).toBe('succeeded');
    const benchRows = (rows: { set: string; metric: string; candidate: number | null }[]) => rows.filter((r) => r.set === 'benchmark').map((r) => [r.metric, r.candidate?.toFixed(1)]);
    expect(benchRows(evaluated.result!.evaluation as never)).toEqual(benchRows(view.evaluation));
    expect(reembed.status, reembed.log_tail).toBe('succeeded');
    expect(reembed.result).toMatchObject({ activated: true, images: EVAL_SEEDS.length });
    const reg = new ModelRegistry(config.dataDir);
    expect((await reg.list()).find((m) => m.active)?.modelVersion).toBe(CHILD);
    expect(await reg.lineage(CHILD)).toMatchObject({ parent: BASE, data: { manifest_sha256: res.dataset.sha256 } });

    const after = await windSearch(CHILD);
    process.stderr.write(`wind turbine search over ${EVAL_SEEDS.length} unseen scenes: before ${JSON.stringify(base.metrics)} after ${JSON.stringify(after.metrics)} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    expect(after.metrics.tileAP).toBeGreaterThan(base.metrics.tileAP);
    expect(after.metrics['R@10']).toBeGreaterThanOrEqual(base.metrics['R@10']);
    // The old version's vectors are still there, unchanged (searches could use them until the switch).
    expect(await tileStats(BASE)).toEqual(parentTiles);
  }, 600_000);
});
