import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Config } from '../../core/config.js';
import { GeoscoutError } from '../../core/errors.js';
import { GEOSCOUT_BIN } from './backend-local.js';
import type { JobKind } from './jobs-table.js';

const run = promisify(execFile);
type SlurmConfig = Config['jobs']['slurm'];

/** What one sbatch script runs. */
export interface SbatchSpec {
  jobId: string;
  kind: JobKind;
  configFile: string;
  /** `%a` in it becomes the array index. */
  logPath: string;
  repoDir: string;
  /** Ingest shards: the script becomes a job array, task i runs job `<id>.s<i>`. */
  arrayShards?: number;
  /** Python with geoscout_train (exported as GEOSCOUT_TRAIN_PYTHON for the train step). */
  python: string;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** pyxis/enroot flags for `srun` (the worker's and the trainer's): empty without `container`. */
export function containerArgs(s: SlurmConfig): string[] {
  return s.container ? [`--container-image=${s.container}`, ...(s.containerMounts ? [`--container-mounts=${s.containerMounts}`] : [])] : [];
}

/**
 * Renders the sbatch script for a job from the `jobs.slurm` configuration. The batch
 * step runs the geoscout worker (Node), which writes progress to the shared `jobs`
 * table; a training job asks for `nodes` nodes and the worker starts the trainer with
 * `srun … torchrun` across them (one task per node, `gpusPerNode` processes each).
 * Ingest runs one node per array task. Container images (pyxis) wrap the worker; the
 * worker passes the same container flags to its srun.
 */
export function renderSbatch(spec: SbatchSpec, s: SlurmConfig, nodeBin = process.execPath): string {
  const train = spec.kind === 'train';
  const nodes = train ? s.nodes : 1;
  const lines = ['#!/bin/bash', `#SBATCH --job-name=geoscout-${spec.kind}-${spec.jobId}`, `#SBATCH --output=${spec.logPath}`, `#SBATCH --nodes=${nodes}`, '#SBATCH --ntasks-per-node=1', `#SBATCH --cpus-per-task=${s.cpusPerTask}`, `#SBATCH --time=${s.time}`];
  if (s.partition) lines.push(`#SBATCH --partition=${s.partition}`);
  if (s.account) lines.push(`#SBATCH --account=${s.account}`);
  if (s.mem) lines.push(`#SBATCH --mem=${s.mem}`);
  // GPUs: training uses them through torchrun; ingest through ONNX Runtime's CUDA provider (models.provider 'cuda').
  if (s.gpusPerNode > 0) lines.push(`#SBATCH --gpus-per-node=${train ? s.gpusPerNode : 1}`);
  if (spec.arrayShards && spec.arrayShards > 1) lines.push(`#SBATCH --array=0-${spec.arrayShards - 1}`);
  for (const extra of s.extraArgs) lines.push(`#SBATCH ${extra}`);
  const container = containerArgs(s).map(shq).join(' ');
  const worker = spec.arrayShards && spec.arrayShards > 1 ? `${spec.jobId}.s\${SLURM_ARRAY_TASK_ID}` : spec.jobId;
  lines.push(
    'set -euo pipefail',
    ...s.setup,
    `export GEOSCOUT_TRAIN_PYTHON=${shq(spec.python)}`,
    'export OPENBLAS_NUM_THREADS=1',
    `cd ${shq(spec.repoDir)}`,
    `${container ? `srun --ntasks=1 --nodes=1 ${container} ` : ''}${shq(s.node ?? nodeBin)} ${shq(GEOSCOUT_BIN)} --config ${shq(spec.configFile)} jobs run-worker "${worker}"`,
  );
  return lines.join('\n') + '\n';
}

/** Submits a script; returns the Slurm job id. */
export async function sbatchSubmit(scriptPath: string, opts: { testOnly?: boolean } = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run('sbatch', [...(opts.testOnly ? ['--test-only'] : ['--parsable']), scriptPath]);
    if (opts.testOnly) return (stdout + stderr).trim();
    return stdout.trim().split(';')[0]!;
  } catch (err) {
    const e = err as { stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new GeoscoutError('CONFIG', 'jobs.backend is "slurm" but sbatch is not on PATH: run geoscout on a Slurm login node or set jobs.backend to "local".');
    throw new GeoscoutError('INVALID_INPUT', `sbatch rejected ${scriptPath}: ${(e.stderr ?? String(err)).trim()}. Check the jobs.slurm section (partition, time, gpusPerNode).`, { cause: err });
  }
}

/** Slurm's view of a job: a state word (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, …) or null when Slurm no longer knows it. */
export async function slurmState(externalId: string): Promise<string | null> {
  // squeue knows queued and running jobs; scontrol also recently finished ones (MinJobAge).
  // sacct would be the long memory but needs slurmdbd, which many clusters have and a
  // single-node test cluster does not.
  const q = await run('squeue', ['-h', '-j', externalId, '-o', '%T']).catch(() => null);
  const state = q?.stdout.trim().split('\n')[0];
  if (state) return state;
  const c = await run('scontrol', ['show', 'job', externalId, '-o']).catch(() => null);
  const m = c?.stdout.match(/JobState=(\S+)/);
  return m ? m[1]! : null;
}

/** scancel; quiet when the job already ended. */
export async function slurmCancel(externalId: string): Promise<void> {
  await run('scancel', [externalId]).catch(() => undefined);
}

/** The hostnames of an allocation (`scontrol show hostnames`). */
export async function slurmHosts(nodeList: string): Promise<string[]> {
  const { stdout } = await run('scontrol', ['show', 'hostnames', nodeList]);
  return stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}
