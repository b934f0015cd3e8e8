import { pino, type Logger } from 'pino';

/**
 * Logs go to stderr (fd 2) always: stdout belongs to the MCP stdio protocol and to
 * commands whose output is piped (`geoscout images list --json | jq`).
 */
// The one env read outside config.ts: it sets the level for messages logged before the
// configuration loads; cli-context then applies `logLevel` (same variable, or the file).
export const log: Logger = pino(
  { name: 'geoscout', level: process.env.GEOSCOUT_LOG_LEVEL ?? 'info', base: undefined },
  pino.destination({ dest: 2, sync: true }),
);

/** A child logger for one module, e.g. `childLog('raster')`. */
export function childLog(module: string): Logger {
  return log.child({ module });
}
