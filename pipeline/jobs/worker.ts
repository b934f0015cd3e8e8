import os from 'node:os';
import type { Config } from '../../core/config.js';
import { GeoscoutError, toGeoscoutError } from '../../core/errors.js';
import { Store } from '../index/store.js';
import type { JobContext, JobHandler } from './job-context.js';
import { isFinal, JobStore, type JobKind } from './jobs-table.js';

/**
 * Handlers by job kind, loaded lazily so a worker imports only what its job needs. Ingest
 * kinds live here; higher layers register theirs (retrain: pipeline/retrain/job-kinds.ts),
 * so the job runner never imports what runs on it.
 */
const HANDLERS = new Map<JobKind, () => Promise<JobHandler>>([
  ['ingest', async () => (await import('./kind-ingest.js')).runIngestJob],
  ['re-embed', async () => (await import('./kind-ingest.js')).runReEmbedJob],
]);

/** Registers (or replaces) the handler of a job kind; `load` imports it when a job of that kind runs. */
export function registerJobKind(kind: JobKind, load: () => Promise<JobHandler>): void {
  HANDLERS.set(kind, load);
}

/** Progress rows are written at most this often (each write is a LanceDB commit). */
const PROGRESS_EVERY_MS = 1500;

/**
 * Runs one job in this process: marks it running, calls its handler, stores the result
 * and the final state. SIGTERM/SIGINT (local cancel, scancel) abort the handler through
 * its AbortSignal and the job ends `cancelled`. Returns the final status.
 */
export async function runWorker(config: Config, jobId: string): Promise<string> {
  const store = await Store.open(config.dbUri);
  const jobs = await JobStore.open(store);
  const controller = new AbortController();
  const onSignal = (sig: string) => () => controller.abort(new GeoscoutError('CANCELLED', `job received ${sig}`));
  const term = onSignal('SIGTERM'), int = onSignal('SIGINT');
  process.on('SIGTERM', term);
  process.on('SIGINT', int);
  const line = (s: string) => process.stderr.write(`[job ${jobId} ${new Date().toISOString()}] ${s}\n`);
  try {
    const job = await jobs.get(jobId);
    if (isFinal(job.status)) {
      line(`already ${job.status}; nothing to do`);
      return job.status;
    }
    const slurmId = process.env.SLURM_ARRAY_JOB_ID ? `${process.env.SLURM_ARRAY_JOB_ID}_${process.env.SLURM_ARRAY_TASK_ID}` : process.env.SLURM_JOB_ID;
    await jobs.update(jobId, {
      status: 'running', started_at: Date.now(), message: 'started', host: os.hostname(),
      ...(job.backend === 'local' ? { external_id: String(process.pid) } : slurmId ? { external_id: slurmId } : {}),
    }, { onlyIfNotFinal: true });
    let last = 0;
    let pending: Promise<void> = Promise.resolve();
    const ctx: JobContext = {
      config, store, job, signal: controller.signal, log: line,
      slurm: process.env.SLURM_JOB_ID ? { jobId: process.env.SLURM_JOB_ID, nodes: Number(process.env.SLURM_JOB_NUM_NODES ?? process.env.SLURM_NNODES ?? 1), nodeList: process.env.SLURM_JOB_NODELIST ?? os.hostname() } : null,
      progress(fraction, message) {
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        const progress = Math.max(0, Math.min(1, fraction));
        pending = pending.then(() => jobs.update(jobId, { progress, message }, { onlyIfNotFinal: true })).catch((e: unknown) => {
          line(`progress write failed: ${(e as Error).message}`);
        });
      },
    };
    line(`${job.kind} started (pid ${process.pid} on ${os.hostname()})`);
    try {
      const load = HANDLERS.get(job.kind);
      if (!load) throw new GeoscoutError('CONFIG', `This worker has no handler for ${job.kind} jobs: run jobs with \`geoscout jobs run-worker\`, which registers every kind.`);
      const result = await (await load())(ctx);
      await pending;
      await jobs.update(jobId, { status: 'succeeded', progress: 1, message: String(result.summary ?? 'done'), result, finished_at: Date.now() }, { onlyIfNotFinal: true });
      line('succeeded');
      return 'succeeded';
    } catch (err) {
      await pending;
      const e = toGeoscoutError(err);
      const cancelled = controller.signal.aborted || e.code === 'CANCELLED';
      await jobs.update(jobId, {
        status: cancelled ? 'cancelled' : 'failed', message: cancelled ? 'cancelled' : `${e.code}: ${e.message}`,
        result: { error: e.toJSON() }, finished_at: Date.now(),
      }, { onlyIfNotFinal: true });
      line(`${cancelled ? 'cancelled' : 'failed'}: ${e.code}: ${e.message}`);
      if (e.code === 'INTERNAL') line(String((err as Error).stack ?? err));
      return cancelled ? 'cancelled' : 'failed';
    }
  } finally {
    process.off('SIGTERM', term);
    process.off('SIGINT', int);
    await store.close();
  }
}
