import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { JobRunner } from '../../pipeline/jobs/runner.js';
import { runWorker } from '../../pipeline/jobs/worker.js';
import { registerRetrainJobKinds } from '../../pipeline/retrain/job-kinds.js';
import { getJobTool, jobOutput } from '../../tools/get-job.js';
import { action, printJson } from '../cli-context.js';

/** `geoscout jobs …`: list, show, wait for and cancel background jobs; `run-worker` is what the backends start. */
export function jobsCommand(): Command {
  const cmd = new Command('jobs').description('background jobs (ingest, train, re-embed, evaluate) on this machine or Slurm');
  cmd
    .command('list')
    .description('jobs, newest first')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { json?: boolean }) => {
        const runner = await JobRunner.open(ctx.config, await ctx.store());
        const jobs = await runner.list();
        if (o.json) return printJson(jobs);
        for (const j of jobs) process.stdout.write(`${j.id}  ${j.kind.padEnd(8)} ${j.status.padEnd(9)} ${(j.progress * 100).toFixed(0).padStart(3)}%  ${j.backend}  ${j.message}\n`);
      }),
    );
  cmd
    .command('get')
    .description('status, progress, result (evaluation table for training) and log tail of a job')
    .argument('<job-id>')
    .option('--wait', 'wait until the job ends')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: { wait?: boolean; json?: boolean }) => {
        const runner = await JobRunner.open(ctx.config, await ctx.store());
        const view = o.wait ? await runner.wait(id, { signal: ctx.signal, pollMs: 1000 }) : await runner.get(id);
        const out = jobOutput(view);
        process.stdout.write(o.json ? JSON.stringify(out, null, 2) + '\n' : getJobTool.render(out) + '\n');
        if (o.wait && view.status !== 'succeeded') process.exitCode = 1;
      }),
    );
  cmd
    .command('cancel')
    .description('cancel a job (SIGTERM to a local worker, scancel on Slurm); stored models and vectors stay as they were')
    .argument('<job-id>')
    .action(
      action(async (ctx, id: string) => {
        const runner = await JobRunner.open(ctx.config, await ctx.store());
        const v = await runner.cancel(id);
        process.stdout.write(`${v.id} ${v.status}: ${v.message}\n`);
      }),
    );
  cmd
    .command('run-worker', { hidden: true })
    .description('run one job in this process (started by the local and Slurm backends)')
    .argument('<job-id>')
    .action(async (id: string, _o: unknown, c: Command) => {
      const globals = c.optsWithGlobals() as { config?: string };
      // A worker whose job state is deleted under it (its data dir removed) has nothing left to
      // report to: it leaves instead of waiting on a store that is gone.
      const gone = globals.config ? setInterval(() => { if (!existsSync(globals.config!)) process.exit(1); }, 5000) : null;
      gone?.unref();
      let code = 1;
      try {
        const config = loadConfig(globals.config ? { file: globals.config } : {});
        registerRetrainJobKinds();
        const status = await runWorker(config, id);
        code = status === 'succeeded' ? 0 : status === 'cancelled' ? 130 : 1;
      } catch (err) {
        process.stderr.write(`error: ${(err as Error).message}\n`);
      }
      // Exit explicitly: a handle a job left open (a model session, a LanceDB background task)
      // must not keep a finished worker alive, holding its parent's inherited descriptors.
      process.exit(code);
    });
  return cmd;
}
