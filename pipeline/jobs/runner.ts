import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../core/config.js';
import { GeoscoutError } from '../../core/errors.js';
import type { Store } from '../index/store.js';
import { isWorkerAlive, launchLocalWorker, signalWorker } from './backend-local.js';
import { renderSbatch, sbatchSubmit, slurmCancel, slurmState } from './backend-slurm.js';
import { imagesForShards } from './shards.js';
import { isFinal, JobStore, type Job, type JobBackend, type JobKind } from './jobs-table.js';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A job as `get_job` shows it: the row, shard rows aggregated, and the tail of its log. */
export interface JobView extends Job {
  shards: Job[];
  log_tail: string;
}

/**
 * Submits, tracks and cancels jobs on the configured backend. Jobs live in the `jobs`
 * table, so they survive the process that submitted them: on open (and on every `get`)
 * running jobs are checked against their worker pid or Slurm job, live ones are left
 * running (re-attached: progress keeps arriving through the table, cancel still works),
 * vanished ones are marked failed with the reason. Nothing is silently lost.
 */
export class JobRunner {
  private constructor(readonly config: Config, readonly jobs: JobStore, private readonly dir: string) {}

  /** Opens the runner and reconciles jobs left running by an earlier process. */
  static async open(config: Config, store: Store): Promise<JobRunner> {
    const r = new JobRunner(config, await JobStore.open(store), path.join(config.dataDir, 'jobs'));
    await r.reconcile();
    return r;
  }

  /** Creates a job and starts it on `backend` (default: config.jobs.backend). */
  async submit(kind: JobKind, params: Record<string, unknown>, opts: { backend?: JobBackend; shards?: number } = {}): Promise<Job> {
    const backend = opts.backend ?? this.config.jobs.backend;
    await mkdir(this.dir, { recursive: true });
    const logPath = (id: string) => path.join(this.dir, `${id}.log`);
    const job = await this.jobs.create({ kind, params, backend, logPath });
    const configFile = await this.writeConfig(job.id);
    try {
      if (backend === 'local') {
        const pid = await launchLocalWorker(job.id, configFile, job.log_path);
        await this.jobs.update(job.id, { external_id: String(pid), host: os.hostname() });
      } else {
        await this.submitSlurm(job, configFile, kind === 'ingest' ? (opts.shards ?? this.config.jobs.slurm.ingestShards) : 1);
      }
    } catch (err) {
      await this.jobs.update(job.id, { status: 'failed', message: `could not start: ${(err as Error).message}`, finished_at: Date.now() });
      throw err;
    }
    return this.jobs.get(job.id);
  }

  /** The job with fresh status (reconciled against its worker), shards and log tail. */
  async get(id: string, opts: { logLines?: number } = {}): Promise<JobView> {
    let job = await this.refresh(await this.jobs.get(id));
    const shards = await this.jobs.list({ parentId: id });
    if (shards.length) job = await this.aggregate(job, await Promise.all(shards.map((s) => this.refresh(s))));
    const logs = shards.length ? shards.map((s) => s.log_path) : [job.log_path];
    const tails = await Promise.all(logs.map((p) => tail(p, opts.logLines ?? 20)));
    return { ...job, shards: shards.sort((a, b) => a.id.localeCompare(b.id)), log_tail: tails.filter(Boolean).join('\n') };
  }

  /** Jobs, newest first (shard rows are folded into their parent). */
  async list(limit = 50): Promise<Job[]> {
    return (await this.jobs.list({ limit: limit * 4 })).filter((j) => !j.parent_id).slice(0, limit);
  }

  /**
   * Cancels a job: SIGTERM to a local worker's process group (the worker marks the job
   * cancelled, a training run stops before anything is registered), scancel for Slurm.
   * Waits up to `graceMs` for the worker to finish, then kills it and marks it cancelled.
   */
  async cancel(id: string, graceMs = 15000): Promise<JobView> {
    const job = await this.jobs.get(id);
    if (isFinal(job.status)) return this.get(id);
    const pid = Number(job.external_id);
    if (job.backend === 'local' && pid && isWorkerAlive(pid, id)) signalWorker(pid, 'SIGTERM');
    if (job.backend === 'slurm' && job.external_id) await slurmCancel(job.external_id);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (isFinal((await this.jobs.get(id)).status)) return this.get(id);
      if (job.backend === 'local' && !(pid && isWorkerAlive(pid, id))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (job.backend === 'local' && pid && isWorkerAlive(pid, id)) signalWorker(pid, 'SIGKILL');
    await this.jobs.update(id, { status: 'cancelled', message: 'cancelled', finished_at: Date.now() }, { onlyIfNotFinal: true });
    for (const s of await this.jobs.list({ parentId: id })) await this.jobs.update(s.id, { status: 'cancelled', message: 'cancelled', finished_at: Date.now() }, { onlyIfNotFinal: true });
    return this.get(id);
  }

  /** Waits until a job is final (polling); CANCELLED error on abort. */
  async wait(id: string, opts: { signal?: AbortSignal; pollMs?: number; timeoutMs?: number; onUpdate?: (j: JobView) => void } = {}): Promise<JobView> {
    const end = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    for (;;) {
      const j = await this.get(id);
      opts.onUpdate?.(j);
      if (isFinal(j.status)) return j;
      if (opts.signal?.aborted) throw new GeoscoutError('CANCELLED', `stopped waiting for ${id}; the job keeps running (cancel it with \`geoscout jobs cancel ${id}\`)`);
      if (Date.now() > end) throw new GeoscoutError('LIMIT_EXCEEDED', `job ${id} still ${j.status} after ${opts.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  }

  /** Checks every queued/running job against its worker; returns what changed. */
  async reconcile(): Promise<{ failed: string[]; attached: string[] }> {
    const out = { failed: [] as string[], attached: [] as string[] };
    for (const j of await this.jobs.list({ status: ['queued', 'running'] })) {
      const after = await this.refresh(j);
      (isFinal(after.status) ? out.failed : out.attached).push(j.id);
    }
    return out;
  }

  private async refresh(job: Job): Promise<Job> {
    if (isFinal(job.status)) return job;
    let reason: string | null = null;
    if (job.backend === 'local') {
      const pid = Number(job.external_id);
      // A queued local job without a pid yet is being launched right now; leave it.
      if (!pid) return job;
      if (job.host && job.host !== os.hostname()) return job; // another machine's worker: cannot check here
      if (!isWorkerAlive(pid, job.id)) reason = `worker process ${pid} is gone (crash, kill or machine restart) while the job was ${job.status}; submit it again`;
    } else {
      const ext = job.external_id;
      if (!ext) return job;
      const state = await slurmState(ext);
      if (state === null || /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)/.test(state)) {
        // The worker writes the final state itself; re-read in case it just did.
        const now = await this.jobs.get(job.id);
        if (isFinal(now.status)) return now;
        reason = `Slurm job ${ext} ended (${state ?? 'no longer known to Slurm'}) without the worker reporting; see ${job.log_path}`;
      }
    }
    if (!reason) return job;
    await this.jobs.update(job.id, { status: 'failed', message: reason, finished_at: Date.now() }, { onlyIfNotFinal: true });
    return this.jobs.get(job.id);
  }

  private async aggregate(job: Job, shards: Job[]): Promise<Job> {
    const progress = shards.reduce((a, s) => a + s.progress, 0) / shards.length;
    const done = shards.filter((s) => isFinal(s.status));
    let status = job.status;
    if (done.length === shards.length) status = shards.every((s) => s.status === 'succeeded') ? 'succeeded' : shards.some((s) => s.status === 'cancelled') ? 'cancelled' : 'failed';
    else if (shards.some((s) => s.status === 'running')) status = 'running';
    const message = `${done.length}/${shards.length} shards done; ` + shards.map((s) => `${s.id.split('.').pop()}: ${s.status}`).join(', ');
    const result = done.length === shards.length ? { shards: shards.map((s) => ({ id: s.id, status: s.status, result: s.result })), tiles_written: shards.reduce((a, s) => a + Number(s.result?.tiles_written ?? 0), 0) } : job.result;
    if (status !== job.status || Math.abs(progress - job.progress) > 0.01) {
      await this.jobs.update(job.id, { status, progress, message, result, ...(isFinal(status) ? { finished_at: Date.now() } : {}) }, { onlyIfNotFinal: true });
    }
    return { ...job, status, progress, message, result };
  }

  private async submitSlurm(job: Job, configFile: string, shards: number): Promise<void> {
    const s = this.config.jobs.slurm;
    const python = s.python ?? path.join(REPO_DIR, '.venv-train', 'bin', 'python');
    if (shards > 1) {
      // One row per array task: each task reports its own progress (no two writers on one row).
      const store = this.jobs;
      const sets = await imagesForShards(this.config, job.params, shards);
      for (const [i, ids] of sets.entries()) {
        await store.create({ kind: job.kind, params: { ...job.params, image_ids: ids, shard: i, shards }, backend: 'slurm', logPath: () => path.join(this.dir, `${job.id}.s${i}.log`), parentId: job.id, id: `${job.id}.s${i}` });
      }
    }
    const logPath = shards > 1 ? path.join(this.dir, `${job.id}.s%a.log`) : job.log_path;
    const script = renderSbatch({ jobId: job.id, kind: job.kind, configFile, logPath, repoDir: REPO_DIR, python, ...(shards > 1 ? { arrayShards: shards } : {}) }, s);
    const scriptPath = path.join(this.dir, `${job.id}.sbatch`);
    await writeFile(scriptPath, script, { mode: 0o755 });
    const ext = await sbatchSubmit(scriptPath);
    await this.jobs.update(job.id, { external_id: ext, message: `submitted to Slurm as ${ext}` });
    for (let i = 0; shards > 1 && i < shards; i++) await this.jobs.update(`${job.id}.s${i}`, { external_id: `${ext}_${i}` });
  }

  /** The effective configuration, frozen for the worker (same data dir, database, models). */
  private async writeConfig(id: string): Promise<string> {
    const { configFile: _ignored, ...cfg } = this.config;
    const file = path.join(this.dir, `${id}.config.json`);
    await writeFile(file, JSON.stringify(cfg, null, 2) + '\n');
    return file;
  }
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).slice(-lines).join('\n');
}
