import { toGeoscoutError } from '../core/errors.js';
import { Command } from 'commander';
import { imagesCommand } from './commands/images.js';
import { modelsCommand } from './commands/models.js';
import { synthCommand } from './commands/synth.js';
import { demoCommand } from './commands/demo.js';
import { ingestCommand } from './commands/ingest.js';
import { searchCommand } from './commands/search.js';
import { rasterCommand } from './commands/raster.js';
import { jobsCommand } from './commands/jobs.js';
import { trainCommand } from './commands/train.js';
import { mcpCommand } from './commands/mcp.js';
import { serveCommand } from './commands/serve.js';
import { askCommand, chatCommand } from './commands/chat.js';
import { evalCommand } from './commands/eval.js';
import { detectCommand } from './commands/detect.js';
import { prototypesCommand } from './commands/prototypes.js';
import { docsCommand } from './commands/docs.js';
import { doctorCommand } from './commands/doctor.js';
import { action, printJson } from './cli-context.js';

/** Builds the `geoscout` command tree (exported so tests can drive it in-process). */
export function buildCli(): Command {
  const program = new Command('geoscout')
    .description('Talk to your satellite imagery and domain documents.\nConfig: ./geoscout.config.json, --config or $GEOSCOUT_CONFIG; env GEOSCOUT_DATA_DIR, GEOSCOUT_DB_URI, GEOSCOUT_ALLOWED_ROOTS, GEOSCOUT_RASTER_READER, GEOSCOUT_LOG_LEVEL.')
    .version('0.1.0')
    .option('-c, --config <file>', 'configuration file (JSON)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)')
    .showHelpAfterError();
  program.addCommand(imagesCommand());
  program.addCommand(rasterCommand());
  program.addCommand(modelsCommand());
  program.addCommand(ingestCommand());
  program.addCommand(searchCommand());
  program.addCommand(detectCommand());
  program.addCommand(prototypesCommand());
  program.addCommand(synthCommand());
  program.addCommand(demoCommand());
  program.addCommand(jobsCommand());
  program.addCommand(trainCommand());
  program.addCommand(mcpCommand());
  program.addCommand(serveCommand());
  program.addCommand(chatCommand());
  program.addCommand(askCommand());
  program.addCommand(evalCommand());
  program.addCommand(docsCommand());
  program.addCommand(doctorCommand());
  program
    .command('config')
    .description('print the effective configuration (file + environment + defaults)')
    .action(action(async (ctx) => printJson(ctx.config)));
  return program;
}

/** Runs the CLI on an argv (process.argv by default). */
export async function runCli(argv: string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    // Option parsers (--limit abc, --bbox 1,2) throw while commander parses, before any
    // action runs: the same one-line error and exit code as an action's.
    const e = toGeoscoutError(err);
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    process.exitCode = e.code === 'INVALID_INPUT' || e.code === 'CONFIG' ? 2 : 1;
  }
}
