import { GeoscoutError, toGeoscoutError } from '../core/errors.js';
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
import { indexCommand } from './commands/index-store.js';
import { MAX_QUERY_CHARS } from '../tools/query-text.js';
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
  program.addCommand(indexCommand());
  program
    .command('config')
    .description('print the effective configuration (file + environment + defaults)')
    .action(action(async (ctx) => printJson(ctx.config)));
  return program;
}

/** Runs the CLI on an argv (process.argv by default). */
/**
 * Longest command line (bytes of all arguments) geoscout accepts. ONNX Runtime 1.2x's Linux
 * build recurses once per byte of /proc/self/cmdline while it creates a session and dies
 * with SIGSEGV from about 32 KB on (three mutually recursive frames in libonnxruntime.so,
 * reproduced with a bare InferenceSession.create; an upstream defect), so every command that
 * opens a model would crash without a word.
 */
export const MAX_COMMAND_LINE_BYTES = 24_000;

function checkCommandLineLength(argv: string[]): void {
  const bytes = argv.slice(2).reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  if (bytes > MAX_COMMAND_LINE_BYTES) {
    const longest = argv.slice(2).reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a), '');
    throw new GeoscoutError('INVALID_INPUT', `The arguments are ${(bytes / 1000).toFixed(0)} KB long (the longest starts "${longest.slice(0, 40)}…"); geoscout accepts at most ${MAX_COMMAND_LINE_BYTES / 1000} KB on the command line. A query text is at most ${MAX_QUERY_CHARS} characters; put long inputs in a file.`);
  }
}

export async function runCli(argv: string[] = process.argv): Promise<void> {
  try {
    checkCommandLineLength(argv);
    await buildCli().parseAsync(argv);
  } catch (err) {
    // Option parsers (--limit abc, --bbox 1,2) throw while commander parses, before any
    // action runs: the same one-line error and exit code as an action's.
    const e = toGeoscoutError(err);
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    process.exitCode = e.code === 'INVALID_INPUT' || e.code === 'CONFIG' ? 2 : 1;
  }
}
