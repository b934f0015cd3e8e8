import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../core/config.js';
import { GeoscoutError, toGeoscoutError } from '../core/errors.js';
import { log } from '../core/log.js';
import { Store } from '../pipeline/index/store.js';

/** What every command gets: validated config, a lazily opened store, a cancel signal. */
export interface CliContext {
  config: Config;
  store(): Promise<Store>;
  signal: AbortSignal;
}

/**
 * Wraps a command action: loads config from the global options, wires Ctrl-C to an
 * AbortSignal, closes the store afterwards, and converts errors at the edge into one
 * line on stderr and an exit code (2 for input/config mistakes, 130 for cancel, 1 else).
 */
export function action<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const globals = cmd.optsWithGlobals() as { config?: string; logLevel?: string };
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSigint);
    let store: Store | undefined;
    try {
      const config = loadConfig(globals.config ? { file: globals.config } : {});
      log.level = globals.logLevel ?? config.logLevel;
      const ctx: CliContext = {
        config,
        signal: controller.signal,
        store: async () => {
          if (!store) {
            if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(config.dbUri)) await mkdir(config.dbUri, { recursive: true });
            store = await Store.open(config.dbUri);
          }
          return store;
        },
      };
      await fn(ctx, ...args);
    } catch (err) {
      const e = toGeoscoutError(err);
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      if (e.code === 'INTERNAL') log.error({ err }, 'internal error');
      process.exitCode = exitCodeFor(e);
    } finally {
      process.off('SIGINT', onSigint);
      await store?.close();
    }
  };
}

function exitCodeFor(e: GeoscoutError): number {
  if (e.code === 'CANCELLED') return 130;
  if (e.code === 'INVALID_INPUT' || e.code === 'CONFIG') return 2;
  return 1;
}

/** Writes JSON (for --json and pipes) to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Parses "a,b,c,d" into four finite numbers, or throws INVALID_INPUT naming the option. */
export function parseNumberList(text: string, count: number, name: string): number[] {
  const nums = text.split(',').map((s) => Number(s.trim()));
  if (nums.length !== count || !nums.every(Number.isFinite)) {
    throw new GeoscoutError('INVALID_INPUT', `${name} must be ${count} comma-separated numbers, got "${text}".`);
  }
  return nums;
}

/** A `--to` bound as ISO: a bare date (2024-06-03) means the end of that day (UTC). */
export function endOfDayIfBare(text: string, name: string): string {
  const d = parseDateOption(text, name);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) d.setUTCHours(23, 59, 59, 999);
  return d.toISOString();
}

/** Parses a date option; throws INVALID_INPUT with the expected form. */
export function parseDateOption(text: string, name: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new GeoscoutError('INVALID_INPUT', `${name} must be a date like 2024-06-03 or 2024-06-03T10:30:00Z, got "${text}".`);
  return d;
}
