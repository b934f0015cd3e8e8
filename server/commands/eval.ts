import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { GeoscoutError } from '../../core/errors.js';
import { writeReports } from '../../evals/report/write.js';
import { readRun, runSuite } from '../../evals/runner.js';
import { loadSuite } from '../../evals/suite/load.js';
import { dumpSuiteYaml, SUITE_HEADER } from '../../evals/suite/dump.js';
import { suiteJsonSchema } from '../../evals/suite/schema.js';
import { buildSynthSuite } from '../../evals/synth-suite.js';
import { action, parseNumberList } from '../cli-context.js';

/** `geoscout eval …`: QA suites against the tools (oracle) or the agent, reports, baselines. */
export function evalCommand(): Command {
  const cmd = new Command('eval').description('evaluation suites: run, report, compare with a baseline');
  cmd
    .command('run')
    .description('run a suite (YAML/JSONL); writes results.json, report.md and report.html into the run dir; exit 1 on regression vs --baseline')
    .argument('<suite>', 'suite file, e.g. evals/suites/synthetic-world.yaml')
    .option('--mode <mode>', 'oracle (scripted tool plans, no LLM) or agent', 'oracle')
    .option('--baseline <file>', 'results.json (or run dir) of an earlier run to compare with')
    .option('--out <dir>', 'run directory (default <dataDir>/evals/runs/<suite>-<time>)')
    .option('--concurrency <n>', 'tasks in parallel', (v) => parseNumberList(v, 1, '--concurrency')[0], 2)
    .option('--timeout <s>', 'per-task timeout in seconds (default: the suite\'s)', (v) => parseNumberList(v, 1, '--timeout')[0])
    .option('--model <model>', 'model under test (id or id@version; default the active one)')
    .option('--only <ids...>', 'only these task ids or tags')
    .option('--tolerance <x>', 'allowed drop of pass rate / AP before it counts as a regression', (v) => parseNumberList(v, 1, '--tolerance')[0], 0.02)
    .action(
      action(async (ctx, suiteFile: string, o: { mode: string; baseline?: string; out?: string; concurrency: number; timeout?: number; model?: string; only?: string[]; tolerance: number }) => {
        if (o.mode !== 'oracle' && o.mode !== 'agent') throw new GeoscoutError('INVALID_INPUT', `--mode must be oracle or agent, got "${o.mode}".`);
        const suite = await loadSuite(suiteFile);
        const outDir = path.resolve(o.out ?? path.join(ctx.config.dataDir, 'evals', 'runs', `${suite.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
        const run = await runSuite(suite, {
          config: ctx.config, mode: o.mode, outDir, store: ctx.store, signal: ctx.signal, suiteFile, tolerance: o.tolerance,
          concurrency: o.concurrency,
          ...(o.timeout ? { timeoutS: o.timeout } : {}), ...(o.model ? { model: o.model } : {}), ...(o.only ? { only: o.only } : {}), ...(o.baseline ? { baseline: o.baseline } : {}),
          onProgress: (done, total, msg) => process.stderr.write(`[${done}/${total}] ${msg ?? ''}\n`),
        });
        const files = await writeReports(run, outDir);
        const s = run.summary;
        process.stdout.write(`${suite.name} (${run.mode}, ${run.model_version}): ${s.passed}/${s.total - s.skipped} passed (${(s.pass_rate * 100).toFixed(1)} %), ${s.failed} failed, ${s.errors} errors, ${s.skipped} skipped\n`);
        for (const [tag, b] of Object.entries(s.by_tag).sort()) if (b.total > b.skipped) process.stdout.write(`  ${tag.padEnd(15)} ${b.passed}/${b.total - b.skipped}\n`);
        for (const t of run.tasks.filter((x) => x.status === 'fail' || x.status === 'error')) process.stdout.write(`  ${t.status.toUpperCase()} ${t.id}: ${t.reason ?? ''}\n`);
        process.stdout.write(`run: ${outDir}\nreport: ${files.html}\n`);
        if (run.comparison?.regressed) {
          const c = run.comparison;
          process.stdout.write(`REGRESSION vs ${c.baseline.file}: ${c.newly_failing.length} newly failing (${c.newly_failing.slice(0, 10).join(', ')}); ${c.metrics.filter((m) => m.regressed).map((m) => `${m.metric} ${m.before.toFixed(3)} → ${m.after.toFixed(3)}`).join(', ')}\n`);
          process.exitCode = 1;
        } else if (run.comparison) {
          process.stdout.write(`no regression vs ${run.comparison.baseline.file}\n`);
        }
      }),
    );
  cmd
    .command('report')
    .description('(re)write report.md and report.html of a run (thumbnails and plots embedded in one HTML file)')
    .argument('<run>', 'run directory or its results.json')
    .action(
      action(async (_ctx, runPath: string) => {
        const dir = runPath.endsWith('.json') ? path.dirname(runPath) : runPath;
        const files = await writeReports(await readRun(runPath), dir);
        process.stdout.write(`${files.markdown}\n${files.html}\n`);
      }),
    );
  const suite = cmd.command('suite').description('suite files');
  suite
    .command('synth')
    .description('(re)generate the synthetic-world suite from the scene generator\'s ground truth')
    .option('-o, --out <file>', 'output YAML', 'evals/suites/synthetic-world.yaml')
    .action(
      action(async (_ctx, o: { out: string }) => {
        const s = buildSynthSuite();
        await writeFile(o.out, dumpSuiteYaml(s, SUITE_HEADER));
        process.stdout.write(`${o.out}: ${s.tasks.length} tasks\n`);
      }),
    );
  suite
    .command('schema')
    .description('write the JSON Schema of suite files')
    .option('-o, --out <file>', 'output file', 'evals/suite.schema.json')
    .action(
      action(async (_ctx, o: { out: string }) => {
        await writeFile(o.out, JSON.stringify(suiteJsonSchema(), null, 2) + '\n');
        process.stdout.write(`${o.out}\n`);
      }),
    );
  return cmd;
}
