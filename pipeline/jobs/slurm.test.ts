import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../core/config.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { addImages } from '../catalog/catalog.js';
import { Store } from '../index/store.js';
import { tilesSchema, tilesTableName } from '../index/tiles-table.js';
import { benchmarkManifest } from '../retrain/train-job.js';
import { generateScene, type GeneratedScene } from '../synth/generate-scene.js';
import { renderSbatch, sbatchSubmit } from './backend-slurm.js';
import { JobRunner } from './runner.js';
import { slurmUnavailable, startLocalSlurm, type LocalSlurm } from './slurm-cluster.js';

// A real single-node Slurm cluster on localhost (slurmctld + slurmd + munge, temp dirs).
// CI runs as root with slurm-wlm and munge installed (.ci/run); elsewhere this skips.
const unavailable = await slurmUnavailable();
if (unavailable) process.stderr.write(`slurm tests skipped: ${unavailable}\n`);

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let cluster: LocalSlurm | undefined;
let scenes: GeneratedScene[] = [];
const cfg: Record<'local' | 'slurm', Config> = {} as never;

function configFor(backend: 'local' | 'slurm'): Config {
  const base = loadConfig({ cwd: tmp.dir, env: { GEOSCOUT_DATA_DIR: path.join(tmp.dir, backend), GEOSCOUT_LOG_LEVEL: 'warn' } });
  return { ...base, jobs: { backend, slurm: { ...base.jobs.slurm, cpusPerTask: 1, time: '00:15:00', ingestShards: 2 } } };
}

async function withRunner<T>(c: Config, fn: (r: JobRunner, s: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(c.dbUri);
  try {
    return await fn(await JobRunner.open(c, store), store);
  } finally {
    await store.close();
  }
}

async function tiles(c: Config): Promise<Map<string, Float32Array>> {
  const store = await Store.open(c.dbUri);
  try {
    const t = await store.tableWithSchema(tilesTableName('geoscout-mini'), tilesSchema(128, 64));
    const rows = await t.query().select(['tile_id', 'vector']).toArray();
    return new Map(rows.map((r) => [String(r.tile_id), Float32Array.from(r.vector as ArrayLike<number>)]));
  } finally {
    await store.close();
  }
}

describe.skipIf(!!unavailable)('slurm backend on a local cluster', () => {
  beforeAll(async () => {
    tmp = await makeTempDir('geoscout-slurm-');
    cluster = await startLocalSlurm(path.join(tmp.dir, 'cluster'));
    scenes = [];
    for (const seed of [46, 47]) scenes.push(await generateScene(path.join(tmp.dir, 'scenes'), `s${seed}`, { seed, width: 768, height: 768, gsdM: 0.5 }));
    for (const b of ['local', 'slurm'] as const) {
      cfg[b] = configFor(b);
      const store = await Store.open(cfg[b].dbUri);
      await addImages(store, scenes.map((s) => s.tiffPath));
      await store.close();
    }
    // Both backends read one copy of the synthetic benchmark, built here once.
    await mkdir(path.join(cfg.local.dataDir, 'retrain'), { recursive: true });
    await symlink(path.join(cfg.local.dataDir, 'retrain'), path.join(cfg.slurm.dataDir, 'retrain'));
    await benchmarkManifest(cfg.local.dataDir, [9100]);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await tmp?.cleanup();
  });

  it('a 2-shard ingest job array lands the same tiles as the local backend', async () => {
    const [local, slurm] = await Promise.all((['local', 'slurm'] as const).map((b) => withRunner(cfg[b], async (r) => {
      const job = await r.submit('ingest', {});
      return r.wait(job.id, { timeoutMs: 180_000, pollMs: 500 });
    })));
    expect(local!.status, local!.log_tail).toBe('succeeded');
    expect(slurm!.status, slurm!.log_tail).toBe('succeeded');
    expect(slurm!.shards.map((s) => [s.status, s.external_id?.split('_')[0]])).toEqual([['succeeded', slurm!.external_id], ['succeeded', slurm!.external_id]]);
    const [a, b] = await Promise.all([tiles(cfg.local), tiles(cfg.slurm)]);
    expect(a.size).toBeGreaterThan(50);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    let maxDiff = 0;
    for (const [id, v] of a) v.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - b.get(id)![i]!))));
    expect(maxDiff).toBeLessThan(1e-4);
  }, 300_000);

  it('a training job runs through sbatch + srun + torchrun and evaluates like the local one', async () => {
    const params = { sources: { prototypes: false, detections: false, coco: scenes[0]!.cocoPath }, replay_seeds: [], benchmark_seeds: [9100], epochs: 1, batch_size: 16 };
    // Both at once (the cluster's job and the local worker overlap their Python start-up).
    const res: Record<string, Awaited<ReturnType<JobRunner['wait']>>> = {};
    await Promise.all((['local', 'slurm'] as const).map(async (b) => {
      res[b] = await withRunner(cfg[b], async (r) => r.wait((await r.submit('train', params)).id, { timeoutMs: 400_000, pollMs: 1000 }));
      expect(res[b]!.status, res[b]!.log_tail).toBe('succeeded');
      process.stderr.write(`${b} training job: ${JSON.stringify(res[b]!.result!.seconds)} s, ${((res[b]!.finished_at! - res[b]!.created_at) / 1000).toFixed(0)} s end to end\n`);
    }));
    const script = await readFile(path.join(cfg.slurm.dataDir, 'jobs', `${res.slurm!.id}.sbatch`), 'utf8');
    expect(script).toMatch(/#SBATCH --nodes=1/);
    expect(await readFile(res.slurm!.log_path, 'utf8')).toMatch(/srun --nodes=1 --ntasks-per-node=1 .* -m geoscout_train\.torchrun --standalone --nproc_per_node=1 -m geoscout_train\.finetune/);
    const table = (v: typeof res.local) => (v!.result!.evaluation as { set: string; metric: string; candidate: number | null }[]);
    const l = table(res.local), s = table(res.slurm);
    expect(s.map((r) => `${r.set}/${r.metric}`)).toEqual(l.map((r) => `${r.set}/${r.metric}`));
    for (const [i, r] of l.entries()) if (r.candidate !== null) expect(Math.abs(s[i]!.candidate! - r.candidate)).toBeLessThan(1.5);
    expect(res.slurm!.result!.registered).toBe(res.local!.result!.registered);
  }, 600_000);

  it('generated scripts for a 4-GPU-per-node cluster pass sbatch --test-only where the hardware allows', async () => {
    const s = configFor('slurm').jobs.slurm;
    const big = renderSbatch({ jobId: 'job_x', kind: 'train', configFile: '/shared/geoscout/cfg.json', logPath: '/shared/geoscout/job_x.log', repoDir: '/opt/geoscout', python: '/opt/venv/bin/python' }, { ...s, nodes: 2, gpusPerNode: 4, partition: 'gpu', container: 'nvcr.io#nvidia/pytorch:24.01-py3', containerMounts: '/shared:/shared' });
    expect(big).toMatch(/#SBATCH --nodes=2\n/);
    expect(big).toMatch(/#SBATCH --gpus-per-node=4\n/);
    expect(big).toMatch(/srun --ntasks=1 --nodes=1 '--container-image=/);
    // This machine has no GPUs: the CPU variant of the same template must be accepted by the controller.
    const file = path.join(tmp.dir, 'test-only.sbatch');
    await writeFile(file, renderSbatch({ jobId: 'job_y', kind: 'ingest', configFile: '/dev/null', logPath: path.join(tmp.dir, 'y.%a.log'), repoDir: tmp.dir, python: 'python3', arrayShards: 4 }, s));
    expect(await sbatchSubmit(file, { testOnly: true })).toMatch(/to start at/);
  });
});
