import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GeoscoutError } from '../../core/errors.js';
import { containerArgs, slurmHosts } from '../jobs/backend-slurm.js';
import type { JobContext } from '../jobs/job-context.js';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Python with geoscout_train: `jobs.slurm.python` ($GEOSCOUT_TRAIN_PYTHON, exported by sbatch scripts), or the repo's venv. */
export function trainPython(ctx: JobContext): string {
  return ctx.config.jobs.slurm.python ?? path.join(REPO_DIR, '.venv-train', 'bin', 'python');
}

/**
 * The command that runs a geoscout_train module: directly on this machine, or inside a
 * Slurm allocation as `srun` (one task per node) → torchrun (gpusPerNode processes per
 * node, or one on CPU nodes), rendezvous on the allocation's first node.
 */
export async function moduleCommand(ctx: JobContext, module: string, args: string[], distributed: boolean): Promise<string[]> {
  const py = trainPython(ctx);
  if (!distributed || !ctx.slurm || ctx.job.backend !== 'slurm') return [py, '-m', module, ...args];
  const nodes = ctx.slurm.nodes;
  // The worker runs with the submitter's config file, so these match the sbatch script's.
  const s = ctx.config.jobs.slurm;
  const container = containerArgs(s);
  const rdzv = nodes > 1
    ? [`--nnodes=${nodes}`, '--rdzv_backend=c10d', `--rdzv_endpoint=${(await slurmHosts(ctx.slurm.nodeList))[0]}:${s.rdzvPort}`, `--rdzv_id=${ctx.slurm.jobId}`]
    : ['--standalone'];
  return ['srun', `--nodes=${nodes}`, '--ntasks-per-node=1', ...container, py, '-m', 'geoscout_train.torchrun', ...rdzv, `--nproc_per_node=${Math.max(1, s.gpusPerNode)}`, '-m', module, ...args];
}

/**
 * Runs a command, streaming its output into the job log and each stderr line to
 * `onLine` (progress parsing). Aborting the job's signal sends SIGTERM to the child
 * (the trainer stops; nothing after it, such as registration, runs).
 */
export function runLogged(ctx: JobContext, cmd: string[], onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    ctx.log(`$ ${cmd.join(' ')}`);
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: REPO_DIR, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      process.stderr.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) onLine?.(l);
    });
    const onAbort = () => child.kill('SIGTERM');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => reject(new GeoscoutError('CONFIG', `Cannot run ${cmd[0]}: ${err.message}. Set up the training environment with \`npm run setup:py\` (or jobs.slurm.python on a cluster).`, { cause: err })));
    child.on('close', (code, sig) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (ctx.signal.aborted) return reject(new GeoscoutError('CANCELLED', `${path.basename(cmd[0]!)} stopped: job cancelled`));
      if (code === 0) return resolve(stdout);
      reject(new GeoscoutError('INTERNAL', `${cmd.slice(0, 4).join(' ')} … exited with ${code ?? sig}; see the job log`));
    });
  });
}
