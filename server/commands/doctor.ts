import { Command } from 'commander';
import { checkStore } from '../../pipeline/index/doctor.js';
import { action, printJson } from '../cli-context.js';

/** `geoscout doctor [--fix]`: duplicate keys and orphan rows in every table, removed with --fix. */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check every table for duplicate keys and orphan rows (left by older versions or killed runs); --fix removes them (run it while nothing else writes)')
    .option('--fix', 'remove duplicates (the first stored row of a key stays) and orphans')
    .option('--deep', 'also read every column of every row (finds damaged data files; reads the whole store)')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { fix?: boolean; deep?: boolean; json?: boolean }) => {
        const report = await checkStore(await ctx.store(), { fix: !!o.fix, deep: !!o.deep, signal: ctx.signal });
        if (o.json) return printJson(report);
        for (const t of report) {
          const state = [t.duplicates || t.orphans ? `${t.duplicates} duplicate(s), ${t.orphans} orphan(s)${o.fix ? `, ${t.removed} removed` : ''}` : 'ok', ...(t.damaged ? [`DAMAGED: ${t.damaged}`] : [])].join('; ');
          process.stdout.write(`${t.table.padEnd(34)} ${String(t.rows).padStart(8)} rows  ${state}\n`);
        }
        const bad = report.reduce((n, t) => n + t.duplicates + t.orphans - t.removed, 0);
        if (bad) process.stdout.write(`\n${bad} row(s) to remove: run \`geoscout doctor --fix\` while nothing else writes the store.\n`);
        const damaged = report.filter((t) => t.damaged);
        if (damaged.length) {
          process.stdout.write(`\n${damaged.map((t) => t.table).join(', ')}: a data file cannot be read. Restore the table from a backup, or move it aside and rebuild it (images add / ingest / docs add).\n`);
          process.exitCode = 1;
        }
      }),
    );
}
