import type { Config } from '../../core/config.js';
import type { Store } from '../index/store.js';
import type { Job } from './jobs-table.js';

/** What a job handler gets from the worker that runs it. */
export interface JobContext {
  config: Config;
  store: Store;
  job: Job;
  signal: AbortSignal;
  /** Reports progress (0..1) and a one-line message; writes are throttled by the worker. */
  progress(fraction: number, message: string): void;
  /** A line for the job's log file (stderr of the worker). */
  log(line: string): void;
  /** Slurm allocation facts when the worker runs inside one. */
  slurm: { jobId: string; nodes: number; nodeList: string } | null;
}

/** A job kind's implementation: returns the job's result (stored as JSON). */
export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown>>;
