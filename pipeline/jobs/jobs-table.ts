import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Field, Float64, Schema, TimestampMillisecond, Utf8 } from 'apache-arrow';
import type { Table } from '@lancedb/lancedb';
import { GeoscoutError } from '../../core/errors.js';
import { sqlString, type Store } from '../index/store.js';

/** What a job does. */
export const JOB_KINDS = ['ingest', 'train', 're-embed', 'evaluate'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
/** Lifecycle: queued → running → one of the final states. */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** Where a job runs. */
export type JobBackend = 'local' | 'slurm';

/** One row of the `jobs` table, with JSON columns parsed. */
export interface Job {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string;
  params: Record<string, unknown>;
  result: Record<string, unknown> | null;
  log_path: string;
  backend: JobBackend;
  /** Local: the worker's pid; Slurm: the job id (`123` or `123_4` for an array task). */
  external_id: string | null;
  /** Host of a local worker (a pid means nothing on another machine). */
  host: string | null;
  /** Set on the shard rows of an ingest split into a Slurm job array. */
  parent_id: string | null;
  created_at: number;
  started_at: number | null;
  updated_at: number;
  finished_at: number | null;
}

/** True for states a job never leaves. */
export function isFinal(s: JobStatus): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'cancelled';
}

const str = (n: string, nullable = true) => new Field(n, new Utf8(), nullable);
const time = (n: string) => new Field(n, new TimestampMillisecond('UTC'), true);

/** Arrow schema of `jobs` (explicit so first rows with nulls cannot fix wrong types). */
export const jobsSchema = new Schema([
  str('id', false), str('kind', false), str('status', false), new Field('progress', new Float64(), true),
  str('message'), str('params'), str('result'), str('log_path'), str('backend'), str('external_id'),
  str('host'), str('parent_id'), time('created_at'), time('started_at'), time('updated_at'), time('finished_at'),
]);

/** Fields a caller may change on an existing job. */
export type JobPatch = Partial<Pick<Job, 'status' | 'progress' | 'message' | 'result' | 'external_id' | 'host' | 'started_at' | 'finished_at' | 'log_path'>>;

/**
 * The `jobs` table: one row per job, shared by the process that submits a job, the
 * worker that runs it (another process, maybe another machine) and whoever polls it.
 * Every read checks out the latest table version first, because LanceDB handles do not
 * see other processes' commits otherwise; writes retry on commit conflicts.
 */
export class JobStore {
  private constructor(private readonly table: Table) {}

  /** Opens (creating if needed) the table in a store. */
  static async open(store: Store): Promise<JobStore> {
    return new JobStore(await store.tableWithSchema('jobs', jobsSchema));
  }

  /** Inserts a queued job and returns it. */
  async create(init: { kind: JobKind; params: Record<string, unknown>; backend: JobBackend; logPath: (id: string) => string; parentId?: string; id?: string }): Promise<Job> {
    const now = Date.now();
    const id = init.id ?? `job_${now.toString(36)}${randomBytes(4).toString('hex')}`;
    const job: Job = {
      id, kind: init.kind, status: 'queued', progress: 0, message: 'queued', params: init.params, result: null,
      log_path: init.logPath(id), backend: init.backend, external_id: null, host: init.backend === 'local' ? os.hostname() : null,
      parent_id: init.parentId ?? null, created_at: now, started_at: null, updated_at: now, finished_at: null,
    };
    await this.table.add([toRow(job)]);
    return job;
  }

  /** The job, or NOT_FOUND naming how to list jobs. */
  async get(id: string): Promise<Job> {
    const rows = await this.query(`id = ${sqlString(id)}`);
    if (!rows[0]) throw new GeoscoutError('NOT_FOUND', `No job ${id}. List jobs with \`geoscout jobs list\`.`, { details: { id } });
    return rows[0];
  }

  /** Jobs matching a filter (newest first). */
  async list(filter: { status?: JobStatus[]; parentId?: string; limit?: number } = {}): Promise<Job[]> {
    const parts: string[] = [];
    if (filter.status?.length) parts.push(`status IN (${filter.status.map(sqlString).join(', ')})`);
    if (filter.parentId) parts.push(`parent_id = ${sqlString(filter.parentId)}`);
    const rows = await this.query(parts.join(' AND ') || undefined);
    rows.sort((a, b) => b.created_at - a.created_at);
    return filter.limit ? rows.slice(0, filter.limit) : rows;
  }

  /** Updates fields of one job; `onlyIfNotFinal` keeps a finished job finished (a late progress write cannot revive it). */
  async update(id: string, patch: JobPatch, opts: { onlyIfNotFinal?: boolean } = {}): Promise<void> {
    const values: Record<string, string | number | Date | null> = { updated_at: new Date() };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (k === 'result') values[k] = v === null ? null : JSON.stringify(v);
      else if (k === 'started_at' || k === 'finished_at') values[k] = v === null ? null : new Date(v as number);
      else values[k] = v as string | number | null;
    }
    let where = `id = ${sqlString(id)}`;
    if (opts.onlyIfNotFinal) where += ` AND status IN ('queued', 'running')`;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.table.update({ where, values });
        return;
      } catch (err) {
        // Two processes committing at once: LanceDB reports a conflict; the row is small, retry.
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1) + Math.random() * 50));
        await this.table.checkoutLatest().catch(() => undefined);
      }
    }
  }

  private async query(where?: string): Promise<Job[]> {
    await this.table.checkoutLatest();
    const q = this.table.query();
    const rows = await (where ? q.where(where) : q).toArray();
    return rows.map((r) => fromRow(r as Record<string, unknown>));
  }
}

function toRow(j: Job): Record<string, unknown> {
  return {
    ...j,
    params: JSON.stringify(j.params), result: j.result === null ? null : JSON.stringify(j.result),
    created_at: new Date(j.created_at), started_at: j.started_at === null ? null : new Date(j.started_at),
    updated_at: new Date(j.updated_at), finished_at: j.finished_at === null ? null : new Date(j.finished_at),
  };
}

function fromRow(r: Record<string, unknown>): Job {
  const ms = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.getTime() : Number(v));
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id), kind: r.kind as JobKind, status: r.status as JobStatus, progress: Number(r.progress ?? 0),
    message: String(r.message ?? ''), params: JSON.parse(String(r.params ?? '{}')) as Record<string, unknown>,
    result: r.result ? (JSON.parse(String(r.result)) as Record<string, unknown>) : null,
    log_path: String(r.log_path ?? ''), backend: (r.backend as JobBackend) ?? 'local', external_id: s(r.external_id),
    host: s(r.host), parent_id: s(r.parent_id), created_at: ms(r.created_at)!, started_at: ms(r.started_at),
    updated_at: ms(r.updated_at)!, finished_at: ms(r.finished_at),
  };
}
